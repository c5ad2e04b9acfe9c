package io.dbmmigrate.arch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The dependency graph between the packages directly under {@code io.dbmmigrate} of a class
 * directory, read from the class files: every class name in a constant pool (class references,
 * field and method descriptors, generic signatures) names a package the class depends on, fully
 * qualified references in code included, which an import scan would miss.
 */
final class PackageGraph {
  private static final Pattern REF = Pattern.compile("io/dbmmigrate/([a-z0-9_]+)/");

  /** package → packages it uses (never itself). */
  final Map<String, Set<String>> edges = new TreeMap<>();
  /** "from -> to" → one class that makes the edge (for messages). */
  final Map<String, String> witness = new TreeMap<>();

  static PackageGraph ofClasses(Path classesDir) {
    PackageGraph g = new PackageGraph();
    Path root = classesDir.resolve("io/dbmmigrate");
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
        Path rel = root.relativize(f);
        if (rel.getNameCount() < 2) continue; // a class directly in io.dbmmigrate
        String from = rel.getName(0).toString();
        g.edges.computeIfAbsent(from, k -> new TreeSet<>());
        // Constant-pool UTF-8 entries hold the names; ISO-8859-1 maps every byte to one char.
        String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
        Matcher m = REF.matcher(text);
        while (m.find()) g.add(from, m.group(1), rel.toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return g;
  }

  void add(String from, String to, String why) {
    edges.computeIfAbsent(from, k -> new TreeSet<>());
    edges.computeIfAbsent(to, k -> new TreeSet<>());
    if (from.equals(to)) return;
    if (edges.get(from).add(to)) witness.put(from + " -> " + to, why);
  }

  /** Every cycle's packages, as strongly connected components of more than one package. */
  List<List<String>> cycles() {
    // Tarjan's algorithm, recursive: a few dozen packages.
    List<List<String>> out = new ArrayList<>();
    Map<String, Integer> index = new TreeMap<>();
    Map<String, Integer> low = new TreeMap<>();
    List<String> stack = new ArrayList<>();
    Set<String> onStack = new TreeSet<>();
    int[] next = {0};
    for (String v : edges.keySet())
      if (!index.containsKey(v)) connect(v, index, low, stack, onStack, next, out);
    return out;
  }

  private void connect(
      String v, Map<String, Integer> index, Map<String, Integer> low, List<String> stack,
      Set<String> onStack, int[] next, List<List<String>> out) {
    index.put(v, next[0]);
    low.put(v, next[0]);
    next[0]++;
    stack.add(v);
    onStack.add(v);
    for (String w : edges.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        connect(w, index, low, stack, onStack, next, out);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      List<String> scc = new ArrayList<>();
      String w;
      do {
        w = stack.remove(stack.size() - 1);
        onStack.remove(w);
        scc.add(w);
      } while (!w.equals(v));
      if (scc.size() > 1) out.add(scc);
    }
  }

  /**
   * Edges that go against {@code ranks} (a package may use only packages of a lower rank; packages
   * without a rank are not checked), each with the class that makes it.
   */
  List<String> violations(Map<String, Integer> ranks) {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Set<String>> e : edges.entrySet()) {
      Integer from = ranks.get(e.getKey());
      if (from == null) continue;
      for (String to : e.getValue()) {
        Integer r = ranks.get(to);
        if (r != null && r >= from) {
          String edge = e.getKey() + " -> " + to;
          out.add(edge + " (" + witness.get(edge) + ")");
        }
      }
    }
    return out;
  }
}
