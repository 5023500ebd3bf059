package avalanche.pages;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The pages in a real browser (Debian's chromium, headless, through chromedriver) against the
 * packaged jar: a shopper signs up, verifies with the link the embedded mode logs, waits for the
 * countdown, buys and sees COMPLETED; a second shopper sees SOLD_OUT; a keyboard-only purchase;
 * /ops charts moving during a small stampede, their figures matching the stats; a queued drop
 * (needs the waiting room). Screenshots of each step in target/screenshots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserIT {
  private static final Path SHOTS = Path.of("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static JarServer server;
  private static String admin;
  private static String scarce;
  private WebDriver browser;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(SHOTS);
    server = new JarServer();
    admin = server.adminToken();
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void openBrowser() {
    ChromeOptions options =
        new ChromeOptions()
            .setBinary("/usr/bin/chromium")
            .addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--window-size=1280,1400");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .build(),
            options);
  }

  @AfterEach
  void closeBrowser() {
    browser.quit();
  }

  private WebDriverWait waiting() {
    return new WebDriverWait(browser, WAIT);
  }

  private void shot(String name) throws IOException {
    File file = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(file.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  private String text(String css) {
    return browser.findElement(By.cssSelector(css)).getText();
  }

  private void type(String id, String value) {
    WebElement input = browser.findElement(By.id(id));
    input.clear();
    input.sendKeys(value);
  }

  /**
   * Signs up and verifies through the page (the link from the server's log, as the page tells the
   * user).
   */
  private String signUpAndVerify(String prefix) throws Exception {
    String email = prefix + "-" + UUID.randomUUID() + "@example.com";
    browser.get(server.base() + "/");
    waiting().until(d -> d.findElement(By.id("show-sign-up")).isDisplayed());
    shot(prefix + "-1-page");
    browser.findElement(By.id("show-sign-up")).click();
    type("up-email", email);
    type("up-password", "shopper-pass-1");
    type("up-name", "Shopper " + prefix);
    type("up-phone", "+33 1 23 45 67 89");
    type("up-address", "1 rue de la Paix, Paris");
    shot(prefix + "-2-sign-up");
    browser.findElement(By.id("sign-up-button")).click();
    waiting().until(d -> d.findElement(By.id("verify")).isDisplayed());
    assertThat(text("#verify-note")).contains("server's log");
    type("verify-token", server.verificationLink(email));
    shot(prefix + "-3-verify");
    browser.findElement(By.id("verify-button")).click();
    waiting().until(d -> text("#who-name").contains("1000 points"));
    return email;
  }

  private String result(String productId) {
    return text("#drop-" + productId + " .result");
  }

  @Test
  @Order(1)
  void aShopperSignsUpWaitsForTheCountdownAndBuys() throws Exception {
    signUpAndVerify("first");
    // Opens in 15 s: the signed-in shopper sees it appear and watches the countdown reach zero.
    scarce =
        server.createProduct(
            admin,
            new JsonObject()
                .put("name", "Golden ticket")
                .put("price", 100)
                .put("stock", 1)
                .put("grade", "COMMON")
                .put("dropAt", Instant.now().plusSeconds(15).toString()));
    String card = "#drop-" + scarce;
    waiting().until(d -> !d.findElements(By.cssSelector(card)).isEmpty());
    String countdown = text(card + " .countdown");
    assertThat(countdown).as("the drop is not open yet: a countdown").matches("(\\d+m )?\\d+s");
    shot("first-4-countdown");
    waiting().until(d -> text(card + " .countdown").equals("open now"));
    WebElement buy = browser.findElement(By.cssSelector(card + " .buy"));
    // A double click sends one purchase: the button is busy after the first.
    new Actions(browser).doubleClick(buy).perform();
    waiting().until(d -> result(scarce).startsWith("COMPLETED"));
    shot("first-5-completed");
    JsonObject stats = server.call("GET", "/api/admin/products/" + scarce + "/stats", admin, null);
    assertThat(stats.getLong("attempts")).as("one attempt for the double click").isEqualTo(1);
    assertThat(stats.getLong("sold")).isEqualTo(1);
  }

  @Test
  @Order(2)
  void aSecondShopperSeesSoldOut() throws Exception {
    signUpAndVerify("second");
    String card = "#drop-" + scarce;
    waiting()
        .until(
            d ->
                !d.findElements(By.cssSelector(card + " .buy")).isEmpty()
                    && d.findElement(By.cssSelector(card + " .buy")).isEnabled());
    browser.findElement(By.cssSelector(card + " .buy")).click();
    waiting().until(d -> result(scarce).startsWith("SOLD_OUT"));
    shot("second-sold-out");
  }

  @Test
  @Order(3)
  void aKeyboardOnlyPurchase() throws Exception {
    String productId =
        server.createProduct(
            admin,
            new JsonObject()
                .put("name", "Keyboard")
                .put("price", 10)
                .put("stock", 5)
                .put("grade", "COMMON"));
    String email = "keys-" + UUID.randomUUID() + "@example.com";
    JsonObject signup =
        server.call(
            "POST",
            "/api/auth/signup",
            null,
            new JsonObject()
                .put("email", email)
                .put("password", "keyboard-pass-1")
                .put("name", "Key Board")
                .put("phone", "+1 555 0100")
                .put("address", "1 Home Row"));
    assertThat(signup.getInteger("_status")).isEqualTo(201);
    String link = server.verificationLink(email);
    assertThat(
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create(link.replaceFirst("^https?://[^/]+", server.base())))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);

    browser.get(server.base() + "/");
    waiting().until(d -> !d.findElements(By.cssSelector("#drop-" + productId + " .buy")).isEmpty());
    tabTo("in-email", null);
    new Actions(browser)
        .sendKeys(email)
        .sendKeys(Keys.TAB)
        .sendKeys("keyboard-pass-1")
        .sendKeys(Keys.ENTER)
        .perform();
    waiting().until(d -> text("#who-name").contains("points"));
    tabTo(null, "#drop-" + productId + " .buy");
    new Actions(browser).sendKeys(Keys.ENTER).perform();
    waiting().until(d -> result(productId).startsWith("COMPLETED"));
    shot("keyboard-completed");
  }

  /**
   * Presses Tab (at most 60 times) until the element with this id, or matching this selector, has
   * the focus.
   */
  private void tabTo(String id, String css) {
    WebElement target =
        id != null ? browser.findElement(By.id(id)) : browser.findElement(By.cssSelector(css));
    for (int i = 0; i < 60; i++) {
      if (target.equals(browser.switchTo().activeElement())) {
        return;
      }
      new Actions(browser).sendKeys(Keys.TAB).perform();
    }
    throw new AssertionError("Tab never reached " + (id != null ? id : css));
  }

  @Test
  @Order(4)
  void opsShowsMovingChartsDuringAStampede() throws Exception {
    String productId =
        server.createProduct(
            admin,
            new JsonObject()
                .put("name", "Stampede")
                .put("price", 10)
                .put("stock", 40)
                .put("grade", "RARE"));
    browser.get(server.base() + "/ops");
    type("in-email", JarServer.ADMIN_EMAIL);
    type("in-password", JarServer.ADMIN_PASSWORD);
    browser.findElement(By.cssSelector("#sign-in button")).click();
    String card = "#drop-" + productId;
    waiting()
        .until(
            d ->
                text("#feed-status").equals("Live")
                    && !d.findElements(By.cssSelector(card)).isEmpty());

    List<JsonObject> users = new ArrayList<>();
    server
        .call(
            "POST",
            "/api/admin/loadtest/users",
            admin,
            new JsonObject().put("count", 120).put("points", 1000))
        .getJsonArray("users")
        .forEach(u -> users.add((JsonObject) u));
    // A small stampede over about six seconds, in waves of different sizes a second apart: the
    // attempts per second the page shows must change with them (waves of one size, each inside one
    // snapshot's second, would rightly show the same rate every time).
    int[] waves = {10, 30, 15, 25, 20, 20};
    List<String> attemptsSeen = new ArrayList<>();
    List<String> availableSeen = new ArrayList<>();
    int from = 0;
    for (int wave = 0; wave < waves.length; wave++) {
      List<CompletableFuture<?>> calls = new ArrayList<>();
      List<JsonObject> shoppers = users.subList(from, from + waves[wave]);
      from += waves[wave];
      for (JsonObject user : shoppers) {
        calls.add(
            CompletableFuture.runAsync(
                () -> {
                  try {
                    server.call(
                        "POST",
                        "/api/products/" + productId + "/purchase",
                        user.getString("accessToken"),
                        null);
                  } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                }));
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
      Thread.sleep(1_000);
      attemptsSeen.add(text(card + " .attempts"));
      availableSeen.add(text(card + " .available"));
      if (wave == 3) {
        shot("ops-stampede");
      }
    }
    assertThat(attemptsSeen.stream().distinct().count())
        .as("attempts/s moved: " + attemptsSeen)
        .isGreaterThan(1);
    assertThat(availableSeen.stream().distinct().count())
        .as("available moved: " + availableSeen)
        .isGreaterThan(1);
    int points =
        Integer.parseInt(browser.findElement(By.cssSelector(card)).getAttribute("data-points"));
    assertThat(points).as("chart points").isGreaterThanOrEqualTo(5);
    // Once quiet, the page's figures are the stats.
    waiting()
        .until(
            d -> {
              try {
                JsonObject stats =
                    server.call("GET", "/api/admin/products/" + productId + "/stats", admin, null);
                return text(card + " .available").equals(stats.getLong("available").toString())
                    && text(card + " .reserved").equals(stats.getLong("reserved").toString())
                    && text(card + " .sold").equals(stats.getLong("sold").toString())
                    && stats.getLong("sold") > 0;
              } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    shot("ops");
    Object drawn =
        ((JavascriptExecutor) browser)
            .executeScript(
                "return document.querySelectorAll(arguments[0] + ' canvas').length", card);
    assertThat(((Number) drawn).intValue()).as("uPlot canvases").isGreaterThanOrEqualTo(2);
  }

  @Test
  @Order(5)
  void theDocsRenderTheDescription() throws Exception {
    browser.get(server.base() + "/docs");
    waiting().until(d -> !d.findElements(By.cssSelector(".swagger-ui .info .title")).isEmpty());
    assertThat(text(".swagger-ui .info .title")).contains("Avalanche");
    waiting().until(d -> d.findElements(By.cssSelector(".opblock")).size() >= 28);
    shot("docs");
  }

  /**
   * Page weight (bytes over the wire, compressed) and first contentful paint on loopback, printed
   * for the report.
   */
  @Test
  @Order(6)
  void pagesAreLight() {
    for (String page : new String[] {"/", "/ops", "/docs"}) {
      browser.get(server.base() + page);
      waiting()
          .until(
              d ->
                  "complete"
                      .equals(
                          ((JavascriptExecutor) d).executeScript("return document.readyState")));
      JavascriptExecutor js = (JavascriptExecutor) browser;
      Number bytes =
          (Number)
              js.executeScript(
                  "return performance.getEntriesByType('navigation')[0].transferSize"
                      + " + performance.getEntriesByType('resource').reduce((s, r) => s + r.transferSize, 0)");
      waiting()
          .until(
              d ->
                  ((Number)
                              js.executeScript(
                                  "return performance.getEntriesByName('first-contentful-paint').length"))
                          .intValue()
                      > 0);
      Number paint =
          (Number)
              js.executeScript(
                  "return performance.getEntriesByName('first-contentful-paint')[0].startTime");
      System.out.printf(
          "page %s: %d bytes transferred, first contentful paint %.0f ms%n",
          page, bytes.longValue(), paint.doubleValue());
      if (!page.equals("/docs")) {
        assertThat(bytes.longValue()).as(page + " weighs little").isLessThan(100_000);
      }
    }
  }

  @Test
  @Order(7)
  void aQueuedDropShowsThePlaceAndAdmits() throws Exception {
    // Needs the waiting room (branch waitroom): a drop behind a room admitting one shopper a
    // second.
    String productId =
        server.createProduct(
            admin,
            new JsonObject()
                .put("name", "Queued")
                .put("price", 10)
                .put("stock", 5)
                .put("grade", "COMMON")
                .put("waitingRoom", new JsonObject().put("admitPerSecond", 1)));
    List<JsonObject> ahead = new ArrayList<>();
    server
        .call(
            "POST",
            "/api/admin/loadtest/users",
            admin,
            new JsonObject().put("count", 3).put("points", 1000))
        .getJsonArray("users")
        .forEach(u -> ahead.add((JsonObject) u));
    for (JsonObject user : ahead) {
      server.call(
          "POST", "/api/products/" + productId + "/queue", user.getString("accessToken"), null);
    }
    signUpAndVerify("queued");
    String card = "#drop-" + productId;
    waiting()
        .until(
            d ->
                !d.findElements(By.cssSelector(card + " .buy")).isEmpty()
                    && d.findElement(By.cssSelector(card + " .buy")).isEnabled());
    browser.findElement(By.cssSelector(card + " .buy")).click();
    waiting().until(d -> text(card + " .queue").contains("place"));
    shot("queued-place");
    waiting().until(d -> result(productId).startsWith("COMPLETED"));
    shot("queued-completed");
  }
}
