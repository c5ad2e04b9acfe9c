package io.dbmmigrate.report;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** {@link MigrationReport} as JSON (the {@code --report FILE} format). Stateless and thread-safe. */
public final class ReportJson {
  private final ObjectMapper mapper =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  public String toJson(MigrationReport report) {
    try {
      return mapper.writeValueAsString(report);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public MigrationReport fromJson(String json) {
    try {
      return mapper.readValue(json, MigrationReport.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes the report, creating parent directories. */
  public void write(MigrationReport report, Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    mapper.writeValue(file.toFile(), report);
  }

  public MigrationReport read(Path file) throws IOException {
    return mapper.readValue(file.toFile(), MigrationReport.class);
  }
}
