package io.dbmmigrate.dirty;

/** When 2 MiB block mappings are split into 4 KiB pages once dirty logging starts. */
public enum SplitPolicy {
  /** All blocks are split when logging is enabled (KVM's eager page splitting). */
  EAGER,
  /** Blocks are write-protected when logging is enabled and split on the first write fault. */
  LAZY;

  public static SplitPolicy parse(String s) {
    switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "eager":
        return EAGER;
      case "lazy":
        return LAZY;
      default:
        throw new IllegalArgumentException("split policy must be eager or lazy, not '" + s + "'");
    }
  }
}
