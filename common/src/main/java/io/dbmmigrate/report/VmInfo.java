package io.dbmmigrate.report;

/**
 * The migrated VM's shape, as reported.
 *
 * @param backing "4k" or "2m"
 */
public record VmInfo(long ramBytes, long romBytes, int vcpus, String backing, String workload) {}
