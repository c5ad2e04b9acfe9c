package io.dbmmigrate.vcpu;

/** Builds the workload a vCPU runs. */
public final class Workloads {
  private Workloads() {}

  /**
   * The workload of vCPU {@code vcpu} of {@code vcpus} over {@code ramPages} pages; its seed is the
   * spec's seed (or {@code vmSeed} when absent) plus the vCPU index.
   */
  public static Workload create(WorkloadSpec spec, int vcpu, int vcpus, long ramPages, long vmSeed) {
    long seed = (spec.seed() != null ? spec.seed() : vmSeed) + vcpu;
    return new PageStreamWorkload(spec, vcpu, vcpus, ramPages, seed);
  }
}
