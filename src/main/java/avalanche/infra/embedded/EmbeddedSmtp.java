package avalanche.infra.embedded;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;

/** A GreenMail SMTP sink in this JVM; tests read what arrived through {@link #greenMail()}. */
public final class EmbeddedSmtp implements EmbeddedServer {
  private final GreenMail greenMail;

  private EmbeddedSmtp(GreenMail greenMail) {
    this.greenMail = greenMail;
  }

  public static EmbeddedSmtp start() {
    GreenMail greenMail =
        new GreenMail(new ServerSetup(FreePorts.pick(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    return new EmbeddedSmtp(greenMail);
  }

  public GreenMail greenMail() {
    return greenMail;
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return greenMail.getSmtp().getPort();
  }

  @Override
  public String describe() {
    return "smtp 127.0.0.1:" + port();
  }

  @Override
  public void close() {
    greenMail.stop();
  }
}
