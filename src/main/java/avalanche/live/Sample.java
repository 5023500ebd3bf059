package avalanche.live;

import java.util.List;
import java.util.Map;

/**
 * What the feed reads once a second: the products' counters (Redis, the truth across processes),
 * this process's refused attempts per product, the open sagas (PostgreSQL; null when it did not
 * answer) and this process's purchase p99.
 */
public record Sample(
    long at,
    List<ProductSample> products,
    Map<Long, Long> rejected,
    Long sagasOpen,
    double purchaseP99Ms) {}
