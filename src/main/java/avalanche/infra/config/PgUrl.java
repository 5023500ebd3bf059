package avalanche.infra.config;

import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** {@code postgresql://user:pass@host:port/db} in the two forms the drivers want. */
public record PgUrl(String host, int port, String database, String user, String password) {

  public static PgUrl parse(String url) {
    URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
    String user = "postgres";
    String password = "";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
      password = parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "";
    }
    String database =
        uri.getPath() == null || uri.getPath().length() <= 1
            ? "avalanche"
            : uri.getPath().substring(1);
    return new PgUrl(
        uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 5432, database, user, password);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setDatabase(database)
        .setUser(user)
        .setPassword(password)
        .setCachePreparedStatements(true)
        .setPipeliningLimit(256);
  }
}
