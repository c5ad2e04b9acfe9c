package io.dbmmigrate.experiment;

import java.util.List;
import java.util.Map;

/**
 * How a scan point is measured: the program to start (in its own JVM, so a big guest's page table
 * gets its own heap) and how to read its output into the scan columns of {@link Outputs}. The
 * program prints lines {@code RESULT key=value ...}.
 */
interface ScanBackend {
  List<String> command(RunPoint point, Launch launch);

  /** The scan outputs from the program's output lines; throws when a required value is missing. */
  Map<String, Object> parse(RunPoint point, List<String> lines);
}
