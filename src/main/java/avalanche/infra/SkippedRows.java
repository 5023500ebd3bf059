package avalanche.infra;

import avalanche.infra.config.Settings;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stored rows a start-up step cannot load. A bad row (written around the API's checks, or by an
 * older version) must not keep a process from starting: it is left out with one ERROR line naming
 * it, and counted as {@code avalanche_startup_rows_skipped_total{table}} on /metrics (registered at
 * 0, so it can be alerted on).
 */
public final class SkippedRows {
  private static final Logger LOG = LoggerFactory.getLogger(SkippedRows.class);

  private final String step;
  private final String table;
  private final Counter skipped;
  private final Set<Object> reported = ConcurrentHashMap.newKeySet();

  /**
   * One per process and table (keyed by the metrics registry), so the start and the periodic repair
   * report a row once.
   */
  private static final Map<String, SkippedRows> OF_PROCESS = new ConcurrentHashMap<>();

  public static SkippedRows of(Settings settings, String step, String table) {
    return OF_PROCESS.computeIfAbsent(
        settings.metricsRegistry() + "/" + table,
        k -> new SkippedRows(DropMetrics.registry(settings), step, table));
  }

  private SkippedRows(MeterRegistry registry, String step, String table) {
    this.step = step;
    this.table = table;
    this.skipped =
        Counter.builder("avalanche.startup.rows.skipped")
            .tag("table", table)
            .description("stored rows left out at start because they could not be loaded")
            .register(registry);
  }

  /** Once per row: the periodic repair meets the same bad row every pass. */
  public void skip(Object id, Throwable reason) {
    if (!reported.add(id)) {
      return;
    }
    skipped.increment();
    LOG.error(
        "{} skipped {} row {}: it cannot be loaded ({}); everything else is served",
        step,
        table,
        id,
        reason.toString());
  }
}
