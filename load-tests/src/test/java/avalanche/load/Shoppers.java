package avalanche.load;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A feeder over the users provisioned in {@code before()}: the scenario is built before they exist, so the
 * records are handed in later with {@link #fill}. Each record is given out once, or in turn when circular.
 */
final class Shoppers implements Iterator<Map<String, Object>> {
  private final boolean circular;
  private final AtomicInteger next = new AtomicInteger();
  private volatile List<Map<String, Object>> records = List.of();

  Shoppers(boolean circular) {
    this.circular = circular;
  }

  void fill(List<Map<String, Object>> provisioned) {
    records = List.copyOf(provisioned);
  }

  @Override
  public boolean hasNext() {
    return true;
  }

  @Override
  public Map<String, Object> next() {
    List<Map<String, Object>> all = records;
    int index = next.getAndIncrement();
    if (all.isEmpty() || (!circular && index >= all.size())) {
      throw new NoSuchElementException("more virtual users than provisioned users (" + all.size() + ")");
    }
    return all.get(index % all.size());
  }
}
