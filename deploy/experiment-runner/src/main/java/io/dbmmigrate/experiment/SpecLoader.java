package io.dbmmigrate.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a sweep spec (YAML) and selects its full or quick section.
 *
 * <pre>
 * name: seed-claims                 # results/&lt;name&gt;/
 * description: ...
 * defaults: {vcpus: 2, ...}         # any {@link Param}, over the built-in defaults
 * experiments:                      # the full sweep
 *   - name: modes
 *     kind: migration               # or scan
 *     set: {workload: random}       # fixed for this experiment
 *     grid: {ram: [4g, 16g], dirtyLog: [hw, sw, hw-sw]}
 *     repetitions: 3
 *     plots: [{type: xy, name: downtime, x: dirtyRate, y: downtimeMillis, series: [dirtyLog]}]
 * quick:                            # selected by --quick
 *   defaults: {...}                 # merged over the top-level defaults
 *   experiments: [...]              # replaces the full list
 * </pre>
 *
 * Every error names the spec file and the offending key.
 */
final class SpecLoader {
  private static final Set<String> TOP_KEYS = Set.of("name", "description", "defaults", "experiments", "quick");
  private static final Set<String> QUICK_KEYS = Set.of("defaults", "experiments");
  private static final Set<String> EXPERIMENT_KEYS = Set.of("name", "kind", "set", "grid", "repetitions", "plots");
  private static final Set<String> PLOT_KEYS =
      Set.of("type", "name", "title", "x", "y", "series", "where", "logX", "logY");

  private final ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

  SweepSpec load(Path file, boolean quick) throws IOException {
    String text = Files.readString(file);
    try {
      return parse(text, quick);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  SweepSpec parse(String text, boolean quick) throws IOException {
    JsonNode root = yaml.readTree(text);
    if (root == null || !root.isObject()) throw new IllegalArgumentException("spec must be a YAML mapping");
    checkKeys(root, TOP_KEYS, "top level");
    String name = requiredText(root, "name", "top level");
    if (!name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("name must be [A-Za-z0-9._-]+, not '" + name + "'");
    String description = root.path("description").asText("");
    Map<String, String> defaults = new HashMap<>(params(root.path("defaults"), "defaults", null));
    JsonNode experiments = root.path("experiments");
    if (quick) {
      JsonNode q = root.path("quick");
      if (!q.isObject()) throw new IllegalArgumentException("--quick given but the spec has no 'quick' section");
      checkKeys(q, QUICK_KEYS, "quick");
      defaults.putAll(params(q.path("defaults"), "quick.defaults", null));
      if (!q.path("experiments").isMissingNode()) experiments = q.path("experiments");
    }
    if (!experiments.isArray() || experiments.isEmpty())
      throw new IllegalArgumentException((quick ? "quick." : "") + "experiments must be a non-empty list");
    List<ExperimentSpec> list = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (JsonNode e : experiments) {
      ExperimentSpec spec = experiment(e, defaults);
      if (!names.add(spec.name())) throw new IllegalArgumentException("experiment name '" + spec.name() + "' used twice");
      list.add(spec);
    }
    Set<String> plotNames = new HashSet<>();
    for (ExperimentSpec e : list)
      for (PlotSpec p : e.plots())
        if (!plotNames.add(p.name())) throw new IllegalArgumentException("plot name '" + p.name() + "' used twice (plots share one directory)");
    return new SweepSpec(name, description, quick, defaults, list);
  }

  private ExperimentSpec experiment(JsonNode e, Map<String, String> defaults) {
    if (!e.isObject()) throw new IllegalArgumentException("each experiment must be a mapping");
    String name = requiredText(e, "name", "experiment");
    String where = "experiment '" + name + "'";
    checkKeys(e, EXPERIMENT_KEYS, where);
    PointKind kind = PointKind.parse(e.path("kind").asText("migration"));
    Map<String, String> fixed = params(e.path("set"), where + " set", kind);
    LinkedHashMap<String, List<String>> grid = new LinkedHashMap<>();
    JsonNode g = e.path("grid");
    if (!g.isMissingNode()) {
      if (!g.isObject()) throw new IllegalArgumentException(where + ": grid must be a mapping of parameter → list");
      for (Iterator<Map.Entry<String, JsonNode>> it = g.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        Param p = param(f.getKey(), where + " grid", kind);
        if (fixed.containsKey(p.key())) throw new IllegalArgumentException(where + ": " + p.key() + " is both in set and in grid");
        List<String> values = new ArrayList<>();
        if (f.getValue().isArray()) for (JsonNode v : f.getValue()) values.add(p.normalize(scalar(v, where, p)));
        else values.add(p.normalize(scalar(f.getValue(), where, p)));
        if (values.isEmpty()) throw new IllegalArgumentException(where + ": grid " + p.key() + " has no values");
        if (new HashSet<>(values).size() != values.size())
          throw new IllegalArgumentException(where + ": grid " + p.key() + " lists a value twice " + values);
        grid.put(p.key(), List.copyOf(values));
      }
    }
    int repetitions = e.path("repetitions").asInt(1);
    List<PlotSpec> plots = new ArrayList<>();
    JsonNode ps = e.path("plots");
    if (!ps.isMissingNode()) {
      if (!ps.isArray()) throw new IllegalArgumentException(where + ": plots must be a list");
      for (JsonNode p : ps) plots.add(plot(p, where, kind));
    }
    return new ExperimentSpec(name, kind, fixed, grid, repetitions, plots);
  }

  private PlotSpec plot(JsonNode p, String where, PointKind kind) {
    if (!p.isObject()) throw new IllegalArgumentException(where + ": each plot must be a mapping");
    checkKeys(p, PLOT_KEYS, where + " plot");
    String type = p.path("type").asText("xy");
    String name = requiredText(p, "name", where + " plot");
    String x = p.hasNonNull("x") ? param(p.get("x").asText(), where + " plot " + name + " x", kind).key() : null;
    if (x != null && !Param.byKey(x).numeric())
      throw new IllegalArgumentException(where + " plot " + name + ": x parameter " + x + " is not numeric");
    List<String> series = new ArrayList<>();
    JsonNode s = p.path("series");
    if (s.isArray()) for (JsonNode v : s) series.add(param(v.asText(), where + " plot " + name + " series", kind).key());
    else if (!s.isMissingNode()) series.add(param(s.asText(), where + " plot " + name + " series", kind).key());
    Map<String, String> filter = new LinkedHashMap<>();
    JsonNode w = p.path("where");
    for (Iterator<Map.Entry<String, JsonNode>> it = w.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      Param wp = param(f.getKey(), where + " plot " + name + " where", kind);
      filter.put(wp.key(), wp.normalize(f.getValue().asText()));
    }
    String y = null;
    if (p.path("y").isArray()) {
      List<String> ys = new ArrayList<>();
      for (JsonNode v : p.get("y")) ys.add(v.asText());
      if (!type.equals("xy") || ys.isEmpty()) throw new IllegalArgumentException(where + " plot " + name + ": a list of y columns needs type xy");
      y = String.join(",", ys);
    } else if (p.hasNonNull("y")) {
      y = p.get("y").asText();
    }
    if (y != null && type.equals("xy"))
      for (String col : y.split(","))
        if (!Outputs.isNumericColumn(col))
          throw new IllegalArgumentException(where + " plot " + name + ": y must be numeric output columns " + Outputs.numericColumns() + ", not '" + col + "'");
    if (y != null && type.equals("rounds") && !Outputs.ROUND_FIELDS.contains(y))
      throw new IllegalArgumentException(where + " plot " + name + ": y must be one of " + Outputs.ROUND_FIELDS + ", not '" + y + "'");
    return new PlotSpec(
        type, name, p.path("title").asText(name), x, y, series, filter,
        p.path("logX").asBoolean(false), p.path("logY").asBoolean(false));
  }

  private Map<String, String> params(JsonNode node, String where, PointKind kind) {
    Map<String, String> out = new LinkedHashMap<>();
    if (node.isMissingNode() || node.isNull()) return out;
    if (!node.isObject()) throw new IllegalArgumentException(where + " must be a mapping of parameter → value");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      Param p = param(f.getKey(), where, kind);
      out.put(p.key(), p.normalize(scalar(f.getValue(), where, p)));
    }
    return out;
  }

  private static Param param(String key, String where, PointKind kind) {
    Param p;
    try {
      p = Param.byKey(key);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    if (kind != null && !p.appliesTo(kind))
      throw new IllegalArgumentException(where + ": parameter " + key + " does not apply to " + kind.id() + " points");
    return p;
  }

  private static String scalar(JsonNode v, String where, Param p) {
    if (!v.isValueNode() || v.isNull()) throw new IllegalArgumentException(where + ": " + p.key() + " needs a scalar value");
    return v.asText();
  }

  private static String requiredText(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (v == null || !v.isValueNode() || v.asText().isBlank())
      throw new IllegalArgumentException(where + ": '" + key + "' missing");
    return v.asText();
  }

  private static void checkKeys(JsonNode node, Set<String> allowed, String where) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k))
        throw new IllegalArgumentException(where + ": unknown key '" + k + "' (allowed: " + new java.util.TreeSet<>(allowed) + ")");
    }
  }
}
