package avalanche.product;

import avalanche.infra.http.ApiException;

/** A product's grade; each has a win probability from config ({@code drop.winProbability}). */
public enum Grade {
  COMMON,
  RARE,
  LEGENDARY;

  public static Grade parse(String value) {
    try {
      return Grade.valueOf(value);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ApiException.validation("grade must be COMMON, RARE or LEGENDARY");
    }
  }
}
