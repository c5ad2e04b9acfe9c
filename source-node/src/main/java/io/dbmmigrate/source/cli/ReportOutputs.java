package io.dbmmigrate.source.cli;

import io.dbmmigrate.report.MigrationReport;
import io.dbmmigrate.report.ReportConsole;
import io.dbmmigrate.report.ReportCsv;
import io.dbmmigrate.report.ReportJson;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;

/** Prints a report (per-round table, summary) and writes it as JSON and CSV when asked. */
final class ReportOutputs {
  private ReportOutputs() {}

  static void emit(MigrationReport report, PrintStream out, Path jsonFile, Path csvDir) throws IOException {
    ReportConsole console = new ReportConsole();
    out.println();
    out.print(console.roundTable(report));
    out.println();
    out.print(console.summary(report));
    out.flush();
    if (jsonFile != null) new ReportJson().write(report, jsonFile);
    if (csvDir != null) new ReportCsv().write(report, csvDir);
  }
}
