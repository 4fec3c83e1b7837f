package dev.keyring.sim.hsm;

import java.util.TreeMap;

/** The persisted state of the HSM and its partition (Jackson bean; nothing secret in clear). */
final class HsmState {
  public String serial;
  public String label;
  public String soVerifier;
  public TreeMap<Integer, Integer> policies = new TreeMap<>();
  public PartitionState partition;

  static final class PartitionState {
    public String label;
    public String version;
    public boolean initialized;
    public String domainFingerprint;
    public String poVerifier;
    public String coVerifier;
    public boolean coMustChange;
    public TreeMap<Integer, Integer> policies = new TreeMap<>();

    /** The cloning domain key wrapped under the device key (Base64), or null before init. */
    public String domainKey;

    /** The SMK in protected form ({@code ProtectedSmk.encode()}), or null. */
    public String smk;
  }
}
