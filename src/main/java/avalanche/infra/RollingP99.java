package avalanche.infra;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The 99th percentile of durations recorded over the last {@code windowMs}. Recording is one write
 * into an HdrHistogram {@link Recorder}, safe from any thread and cheap enough for every purchase
 * (Micrometer's percentile timer wrote each value into five histograms, one per slice of its
 * window, which cost the purchase route a fifteenth of its time). Reading swaps the recorder's
 * interval out and keeps the intervals of the window.
 */
public final class RollingP99 {
  /** Durations are kept in microseconds, up to a minute, to two significant digits. */
  private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(1);

  private final long windowMs;
  private final Recorder recorder = new Recorder(MAX_MICROS, 2);
  private final ArrayDeque<Interval> intervals = new ArrayDeque<>();
  private Histogram recycled;

  public RollingP99(long windowMs) {
    this.windowMs = windowMs;
  }

  public void record(long nanos) {
    recorder.recordValue(Math.min(MAX_MICROS, Math.max(0, nanos / 1_000)));
  }

  /** The p99 in ms of what was recorded within the window before {@code nowMs}; 0 for nothing. */
  public synchronized double p99Ms(long nowMs) {
    Histogram latest = recorder.getIntervalHistogram(recycled);
    recycled = null;
    intervals.addLast(new Interval(nowMs, latest));
    while (nowMs - intervals.peekFirst().endedMs >= windowMs) {
      recycled = intervals.removeFirst().histogram;
    }
    Histogram window = new Histogram(MAX_MICROS, 2);
    for (Interval interval : intervals) {
      window.add(interval.histogram);
    }
    return window.getTotalCount() == 0 ? 0 : window.getValueAtPercentile(99) / 1_000.0;
  }

  private record Interval(long endedMs, Histogram histogram) {}
}
