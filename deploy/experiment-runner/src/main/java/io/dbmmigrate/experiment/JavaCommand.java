package io.dbmmigrate.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * A Java program to start: java executable, JVM options, class path (a shaded jar or a full class
 * path) and main class.
 */
record JavaCommand(String java, List<String> jvmOptions, String classpath, String mainClass) {
  JavaCommand {
    jvmOptions = List.copyOf(jvmOptions);
  }

  List<String> command(List<String> args) {
    List<String> c = new ArrayList<>();
    c.add(java);
    c.addAll(jvmOptions);
    c.add("-cp");
    c.add(classpath);
    c.add(mainClass);
    c.addAll(args);
    return c;
  }

  /** Splits a JVM options string on whitespace ("-Xmx2g -XX:+UseParallelGC"). */
  static List<String> splitOptions(String options) {
    List<String> out = new ArrayList<>();
    for (String s : options.trim().split("\\s+")) if (!s.isEmpty()) out.add(s);
    return out;
  }
}
