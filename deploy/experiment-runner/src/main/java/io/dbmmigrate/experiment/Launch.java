package io.dbmmigrate.experiment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the node programs come from: the two shaded jars (what {@code deploy/experiment.sh} uses)
 * or one class path holding both nodes (what the end-to-end test uses: its own test class path).
 *
 * @param java the java executable
 * @param sourceJar source node shaded jar (null in class-path mode)
 * @param destJar destination node shaded jar (null in class-path mode)
 * @param classpath class path with both nodes (null in jar mode)
 * @param testbedScript {@code deploy/netns/testbed.sh}, for netns points (may be null)
 * @param sourceMain main class of the source node (tests substitute a fake)
 * @param destMain main class of the destination node
 * @param toolClasspath class path of the runner's own tools ({@link ScanProbeMain}): the runner's
 *     class path in jar mode, so that scan points do not depend on which source jar is measured
 */
record Launch(
    String java,
    Path sourceJar,
    Path destJar,
    String classpath,
    Path testbedScript,
    String sourceMain,
    String destMain,
    String toolClasspath) {
  static final String SOURCE_MAIN = "io.dbmmigrate.source.SourceNodeMain";
  static final String DEST_MAIN = "io.dbmmigrate.dest.DestNodeMain";

  Launch {
    if ((classpath == null) == (sourceJar == null || destJar == null))
      throw new IllegalArgumentException("give either both jars or a class path");
  }

  static Launch jars(String java, Path sourceJar, Path destJar, Path testbedScript) {
    return new Launch(
        java, sourceJar, destJar, null, testbedScript, SOURCE_MAIN, DEST_MAIN, System.getProperty("java.class.path"));
  }

  static Launch classpath(String java, String classpath, Path testbedScript) {
    return new Launch(java, null, null, classpath, testbedScript, SOURCE_MAIN, DEST_MAIN, classpath);
  }

  /** The same, with other node main classes (class-path mode only: jars name their own). */
  Launch withMains(String newSourceMain, String newDestMain) {
    if (classpath == null) throw new IllegalStateException("main classes can only be replaced in class-path mode");
    return new Launch(java, null, null, classpath, testbedScript, newSourceMain, newDestMain, classpath);
  }

  /** Fails early with a clear message when a jar is missing. */
  void check() {
    if (classpath != null) return;
    for (Path jar : List.of(sourceJar, destJar))
      if (!Files.isRegularFile(jar))
        throw new IllegalArgumentException(jar + " not found; build it with ./mvnw -B -q -DskipTests package");
  }

  JavaCommand source(List<String> jvmOptions) {
    return new JavaCommand(java, jvmOptions, classpath != null ? classpath : sourceJar.toString(), sourceMain);
  }

  JavaCommand dest(List<String> jvmOptions) {
    return new JavaCommand(java, jvmOptions, classpath != null ? classpath : destJar.toString(), destMain);
  }

  /** One of the runner's own tools (its class path holds common and the experiment package). */
  JavaCommand tool(String mainClass, List<String> jvmOptions) {
    return new JavaCommand(java, jvmOptions, toolClasspath, mainClass);
  }

  /** The testbed script's options that say where the programs are. */
  List<String> testbedProgramArgs() {
    List<String> a = new ArrayList<>();
    if (classpath != null) {
      a.add("--classpath");
      a.add(classpath);
      a.add("--source-main");
      a.add(sourceMain);
      a.add("--dest-main");
      a.add(destMain);
    } else {
      a.add("--source-jar");
      a.add(sourceJar.toString());
      a.add("--dest-jar");
      a.add(destJar.toString());
    }
    return a;
  }
}
