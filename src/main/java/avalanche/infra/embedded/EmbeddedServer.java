package avalanche.infra.embedded;

/** A real server process (or in-process server) started for this run and stopped with it. */
public interface EmbeddedServer extends AutoCloseable {
  /** Short name for the start-up banner, e.g. {@code redis 127.0.0.1:34567}. */
  String describe();

  @Override
  void close();
}
