package avalanche.auth;

import io.vertx.ext.mail.MailMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.Map;

/**
 * The HTML and plain-text templates of the account mails ({@code
 * src/main/resources/mail/<name>.html|txt}), with {@code {{link}}}, {@code {{token}}} and {@code
 * {{minutes}}} filled in (HTML-escaped in the HTML part).
 */
public final class MailTemplates {
  private record Template(String html, String text) {}

  private final Map<AccountMails.Kind, Template> templates;

  private MailTemplates(Map<AccountMails.Kind, Template> templates) {
    this.templates = templates;
  }

  /** Reads the templates from the class path: blocking, call it on a worker thread. */
  public static MailTemplates load() {
    Map<AccountMails.Kind, Template> templates = new EnumMap<>(AccountMails.Kind.class);
    for (AccountMails.Kind kind : AccountMails.Kind.values()) {
      templates.put(
          kind, new Template(read(kind.template + ".html"), read(kind.template + ".txt")));
    }
    return new MailTemplates(templates);
  }

  public MailMessage render(
      AccountMails.Kind kind, String from, String to, String link, String token, long minutes) {
    Template template = templates.get(kind);
    return new MailMessage()
        .setFrom(from)
        .setTo(to)
        .setSubject(kind.subject)
        .setText(fill(template.text, link, token, minutes, false))
        .setHtml(fill(template.html, link, token, minutes, true));
  }

  private static String fill(
      String template, String link, String token, long minutes, boolean html) {
    return template
        .replace("{{link}}", html ? escape(link) : link)
        .replace("{{token}}", html ? escape(token) : token)
        .replace("{{minutes}}", Long.toString(minutes));
  }

  private static String escape(String value) {
    return value
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;")
        .replace("'", "&#39;");
  }

  private static String read(String name) {
    try (InputStream in = MailTemplates.class.getResourceAsStream("/mail/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing mail template " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
