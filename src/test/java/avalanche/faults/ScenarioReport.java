package avalanche.faults;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one scenario did and found: facts (for the report) and checks (the assertions). */
final class ScenarioReport {
  record Check(String name, boolean ok, String detail) {}

  final String name;
  final String title;
  final Map<String, String> facts = new LinkedHashMap<>();
  final List<Check> checks = new ArrayList<>();
  final List<String> notes = new ArrayList<>();
  final List<String> tables = new ArrayList<>();

  /**
   * Products the audit created besides the scenario's own (fresh purchases): their dead letters
   * count too.
   */
  final List<Long> extraProducts = new ArrayList<>();

  long startedAt = System.currentTimeMillis();
  long tookMs;
  String aborted;

  ScenarioReport(String name, String title) {
    this.name = name;
    this.title = title;
  }

  void fact(String key, Object value) {
    facts.put(key, String.valueOf(value));
  }

  boolean check(String name, boolean ok, String detail) {
    checks.add(new Check(name, ok, detail));
    return ok;
  }

  void note(String text) {
    notes.add(text);
  }

  List<Check> failures() {
    return checks.stream().filter(c -> !c.ok()).toList();
  }

  boolean passed() {
    return aborted == null && failures().isEmpty();
  }

  String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("## ")
        .append(name)
        .append(": ")
        .append(title)
        .append(" — ")
        .append(passed() ? "PASS" : "FAIL")
        .append(" (")
        .append(tookMs / 1000)
        .append(" s)\n\n");
    if (aborted != null) {
      md.append("**Aborted:** ").append(aborted.replace("\n", "\n    ")).append("\n\n");
    }
    if (!facts.isEmpty()) {
      md.append("| | |\n|---|---|\n");
      facts.forEach(
          (k, v) ->
              md.append("| ")
                  .append(k)
                  .append(" | ")
                  .append(v.replace("|", "\\|").replace("\n", "<br>"))
                  .append(" |\n"));
      md.append('\n');
    }
    for (String table : tables) {
      md.append(table).append('\n');
    }
    if (!checks.isEmpty()) {
      md.append("| check | result | detail |\n|---|---|---|\n");
      for (Check c : checks) {
        md.append("| ")
            .append(c.name())
            .append(" | ")
            .append(c.ok() ? "ok" : "**FAIL**")
            .append(" | ")
            .append(c.detail().replace("|", "\\|").replace("\n", "<br>"))
            .append(" |\n");
      }
      md.append('\n');
    }
    for (String note : notes) {
      md.append("- ").append(note.replace("\n", "\n  ")).append('\n');
    }
    if (!notes.isEmpty()) {
      md.append('\n');
    }
    return md.toString();
  }

  String summaryLine() {
    if (aborted != null) {
      return name + ": ABORTED — " + aborted.lines().findFirst().orElse("");
    }
    List<Check> failed = failures();
    if (failed.isEmpty()) {
      return name + ": PASS (" + checks.size() + " checks)";
    }
    StringBuilder s =
        new StringBuilder(name + ": FAIL " + failed.size() + "/" + checks.size() + " —");
    for (Check c : failed) {
      String detail = c.detail().length() > 160 ? c.detail().substring(0, 160) + "…" : c.detail();
      s.append(" [").append(c.name()).append(": ").append(detail.replace("\n", " ")).append("]");
    }
    return s.toString();
  }
}
