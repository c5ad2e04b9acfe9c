package io.dbmmigrate.experiment;

import java.nio.file.Path;

/** Runs one sweep point and describes the outcome as a row; never throws for a failed run. */
interface PointRunner {
  /**
   * @param runDir a directory of its own for logs and the report
   * @return the row (status ok or failed)
   */
  ResultRow run(RunPoint point, Path runDir) throws InterruptedException;
}
