package io.dbmmigrate.memory;

/** Host page size that backs guest RAM: 4 KiB pages, or 2 MiB transparent huge pages. */
public enum BackingPageSize {
  SIZE_4K(4096),
  SIZE_2M(2 * 1024 * 1024);

  private final int bytes;

  BackingPageSize(int bytes) {
    this.bytes = bytes;
  }

  public int bytes() {
    return bytes;
  }

  /** Parses "4k", "4K", "4096", "2m", "2M", "2097152". */
  public static BackingPageSize parse(String s) {
    switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "4k", "4096", "4kib":
        return SIZE_4K;
      case "2m", "2097152", "2mib", "thp":
        return SIZE_2M;
      default:
        throw new IllegalArgumentException("backing page size must be 4k or 2m, not '" + s + "'");
    }
  }

  public static BackingPageSize ofBytes(int bytes) {
    for (BackingPageSize b : values()) if (b.bytes == bytes) return b;
    throw new IllegalArgumentException("unsupported backing page size " + bytes);
  }
}
