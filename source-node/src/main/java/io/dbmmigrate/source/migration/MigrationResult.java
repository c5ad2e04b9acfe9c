package io.dbmmigrate.source.migration;

import io.dbmmigrate.report.MigrationReport;

/** The report of a migration and what happened to the source's VM. */
public record MigrationResult(MigrationReport report, SourceVmFate fate) {}
