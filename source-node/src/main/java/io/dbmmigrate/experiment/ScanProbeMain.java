package io.dbmmigrate.experiment;

/** Placeholder until the scan benchmark lands (see ScanBackends). */
final class ScanProbeMain {
  private ScanProbeMain() {}

  public static void main(String[] args) {
    System.err.println("scan benchmark not available yet");
    System.exit(1);
  }
}
