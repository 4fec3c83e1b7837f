package dev.keyring.store;

/**
 * What one pass of {@link KeyringStore#compactFileIfGrown()} did to an H2 file store.
 *
 * @param ran whether the file was compacted (false: not an H2 file, too small, or dense enough)
 * @param bytesBefore the database file's size before, in bytes (0 when not an H2 file)
 * @param bytesAfter its size after, in bytes
 * @param complete whether the pass ended because nothing more could be moved (false: it ran out of
 *     time, and the next pass goes on from there)
 * @param millis how long the pass held the database's writers back
 */
public record FileCompaction(
    boolean ran, long bytesBefore, long bytesAfter, boolean complete, long millis) {}
