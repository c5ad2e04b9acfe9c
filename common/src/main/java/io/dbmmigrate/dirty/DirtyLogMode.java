package io.dbmmigrate.dirty;

/** How dirty pages are tracked. */
public enum DirtyLogMode {
  /** Off: nothing is tracked. */
  OFF,
  /** Software: write-protect + permission fault marks the bitmap. */
  SW,
  /** Hardware DBM: the "hardware" sets the write bit; syncs scan all leaf PTEs in parallel. */
  HW
}
