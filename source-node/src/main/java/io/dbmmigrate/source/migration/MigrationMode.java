package io.dbmmigrate.source.migration;

/**
 * How memory moves: all before the switchover (pre-copy), all after it (post-copy: the VM resumes
 * on the destination at once and its pages follow), or pre-copy rounds first and post-copy for the
 * rest (hybrid, QEMU's migrate-start-postcopy).
 */
public enum MigrationMode {
  PRECOPY("precopy"),
  POSTCOPY("postcopy"),
  HYBRID("hybrid");

  private final String label;

  MigrationMode(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  public static MigrationMode parse(String s) {
    for (MigrationMode m : values()) if (m.label.equalsIgnoreCase(s == null ? "" : s.trim())) return m;
    throw new IllegalArgumentException("mode must be precopy, postcopy or hybrid, not '" + s + "'");
  }
}
