package io.dbmmigrate.vcpu;

/**
 * Builds the workload of one vCPU (creation and restore of a VM use it). The default is {@link
 * Workloads#create}; tests may supply their own page streams.
 */
@FunctionalInterface
public interface WorkloadFactory {
  Workload create(WorkloadSpec spec, int vcpu, int vcpus, long ramPages, long vmSeed);

  static WorkloadFactory standard() {
    return Workloads::create;
  }
}
