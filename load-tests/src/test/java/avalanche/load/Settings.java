package avalanche.load;

/** Run parameters, read from system properties ({@code mvn ... -Dusers=5000}) with the given defaults. */
final class Settings {
  private Settings() {}

  static String text(String name, String fallback) {
    String value = System.getProperty(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  static int integer(String name, int fallback) {
    return (int) number(name, fallback);
  }

  static long number(String name, long fallback) {
    String value = text(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + " must be an integer, got '" + value + "'");
    }
  }

  static double decimal(String name, double fallback) {
    String value = text(name, null);
    if (value == null) {
      return fallback;
    }
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + name + " must be a number, got '" + value + "'");
    }
  }

  static boolean flag(String name, boolean fallback) {
    String value = text(name, null);
    return value == null ? fallback : Boolean.parseBoolean(value);
  }
}
