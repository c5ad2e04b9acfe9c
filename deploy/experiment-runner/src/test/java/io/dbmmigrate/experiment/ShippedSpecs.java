package io.dbmmigrate.experiment;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds deploy/experiments/ from the module directory the tests run in. */
final class ShippedSpecs {
  private ShippedSpecs() {}

  static Path repoRoot() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isDirectory(p.resolve("deploy"))) p = p.getParent();
    if (p == null) throw new IllegalStateException("deploy/ not found above " + Path.of("").toAbsolutePath());
    return p;
  }

  static Path path(String name) {
    return repoRoot().resolve("deploy/experiments/" + name + ".yaml");
  }
}
