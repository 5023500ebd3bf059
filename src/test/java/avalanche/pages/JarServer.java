package avalanche.pages;

import avalanche.infra.embedded.FreePorts;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code target/avalanche.jar} run as a user runs it (embedded servers), its log kept, and plain
 * HTTP calls to it.
 */
final class JarServer implements AutoCloseable {
  static final String ADMIN_EMAIL = "admin@avalanche.local";
  static final String ADMIN_PASSWORD = "browser-admin-1";

  final int port = FreePorts.pick();
  private final Process process;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  JarServer() throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-jar",
                Path.of("target", "avalanche.jar").toAbsolutePath().toString())
            .redirectErrorStream(true);
    builder
        .environment()
        .putAll(
            Map.of(
                "AVALANCHE_HTTP_PORT",
                Integer.toString(port),
                "AVALANCHE_ADMIN_PASSWORD",
                ADMIN_PASSWORD,
                "AVALANCHE_SIGNUP_POINTS",
                "1000"));
    process = builder.start();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException ended) {
                // the process ended
              }
            },
            "jar-output");
    reader.setDaemon(true);
    reader.start();
    await("Avalanche is up in", 240);
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  /** The first log line holding {@code text}, waiting up to {@code seconds}. */
  String await(String text, long seconds) throws InterruptedException {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    while (System.currentTimeMillis() < deadline) {
      synchronized (lines) {
        Optional<String> found = lines.stream().filter(l -> l.contains(text)).findFirst();
        if (found.isPresent()) {
          return found.get();
        }
      }
      if (!process.isAlive()) {
        break;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "no line with '" + text + "' within " + seconds + " s: " + List.copyOf(lines));
  }

  /** The verification link the embedded mode logged for {@code email}. */
  String verificationLink(String email) throws InterruptedException {
    Matcher m =
        Pattern.compile("(http\\S*token=[A-Za-z0-9_-]+)").matcher(await("mail to " + email, 20));
    if (!m.find()) {
      throw new AssertionError("no link in the mail line for " + email);
    }
    return m.group(1);
  }

  JsonObject call(String method, String path, String token, JsonObject body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    JsonObject answer =
        response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
    return answer.put("_status", response.statusCode());
  }

  String adminToken() throws IOException, InterruptedException {
    return call(
            "POST",
            "/api/auth/login",
            null,
            new JsonObject()
                .put("email", ADMIN_EMAIL)
                .put("password", ADMIN_PASSWORD)
                .put("clientId", "browser-it-" + System.nanoTime()))
        .getString("accessToken");
  }

  String createProduct(String admin, JsonObject product) throws IOException, InterruptedException {
    JsonObject created = call("POST", "/api/admin/products", admin, product);
    if (created.getInteger("_status") != 201) {
      throw new AssertionError("product not created: " + created.encode());
    }
    return created.getString("productId");
  }

  @Override
  public void close() throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }
}
