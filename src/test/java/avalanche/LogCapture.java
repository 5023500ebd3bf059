package avalanche;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects what every logger of the test JVM logs while it is open, to assert on levels and lines.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture() {
    appender.start();
    root.addAppender(appender);
  }

  public static LogCapture start() {
    return new LogCapture();
  }

  /** The events logged so far at a level above {@code level}, as "LEVEL logger - message" lines. */
  public List<String> above(Level level) {
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : events()) {
      if (event.getLevel().isGreaterOrEqual(level) && event.getLevel() != level) {
        lines.add(
            event.getLevel() + " " + event.getLoggerName() + " - " + event.getFormattedMessage());
      }
    }
    return lines;
  }

  public List<ILoggingEvent> events() {
    // The appender appends under its own lock (AppenderBase.doAppend is synchronized).
    synchronized (appender) {
      return new ArrayList<>(appender.list);
    }
  }

  @Override
  public void close() {
    root.detachAppender(appender);
    appender.stop();
  }
}
