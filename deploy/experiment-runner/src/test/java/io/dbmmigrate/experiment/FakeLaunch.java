package io.dbmmigrate.experiment;

import java.nio.file.Path;

/** A {@link Launch} that runs the {@link FakeNodes} from the test class path. */
final class FakeLaunch {
  private FakeLaunch() {}

  static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static Launch fakes() {
    return Launch.classpath(java(), System.getProperty("java.class.path"), ShippedSpecs.repoRoot().resolve("deploy/netns/testbed.sh"))
        .withMains(FakeNodes.Source.class.getName(), FakeNodes.Dest.class.getName());
  }
}
