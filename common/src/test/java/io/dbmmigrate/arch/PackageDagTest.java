package io.dbmmigrate.arch;

import static org.assertj.core.api.Assertions.assertThat;

import io.dbmmigrate.mmu.Stage2Mmu;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code common} form a DAG, and the simulated machine is layered along the page
 * (DESIGN "Dirty logging"): memory → mmu → dirty | vcpu | hostmm → machine. Read from the compiled
 * main classes, so a fully qualified reference counts as much as an import.
 */
class PackageDagTest {
  /** A package may use only packages of a lower rank; dirty, vcpu and hostmm do not use each other. */
  static final Map<String, Integer> MACHINE_LAYERS =
      Map.of("memory", 0, "mmu", 1, "dirty", 2, "vcpu", 2, "hostmm", 2, "machine", 3);

  static Path mainClasses() throws URISyntaxException {
    Path p = Path.of(Stage2Mmu.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(Files.isDirectory(p)).as("main classes as a directory: %s", p).isTrue();
    return p;
  }

  @Test
  void commonPackagesHaveNoCycle() throws Exception {
    PackageGraph g = PackageGraph.ofClasses(mainClasses());
    assertThat(g.edges).as("the scan found the packages").containsKeys("mmu", "dirty", "machine");
    assertThat(g.cycles()).as("package cycles; edges: %s", g.witness).isEmpty();
  }

  @Test
  void theMachineIsLayeredAlongThePage() throws Exception {
    PackageGraph g = PackageGraph.ofClasses(mainClasses());
    assertThat(g.edges).containsKeys("memory", "hostmm", "vcpu");
    assertThat(g.violations(MACHINE_LAYERS)).isEmpty();
  }

  @Test
  void theChecksCatchACycleAndAnUpwardEdge() {
    PackageGraph g = new PackageGraph();
    g.add("mmu", "memory", "a");
    g.add("dirty", "mmu", "b");
    g.add("machine", "dirty", "c");
    assertThat(g.cycles()).isEmpty();
    assertThat(g.violations(MACHINE_LAYERS)).isEmpty();
    g.add("mmu", "dirty", "Stage2Mmu.class"); // the MMU knowing the dirty-log modes again
    assertThat(g.cycles()).hasSize(1);
    assertThat(g.cycles().get(0)).containsExactlyInAnyOrder("mmu", "dirty");
    assertThat(g.violations(MACHINE_LAYERS)).containsExactly("mmu -> dirty (Stage2Mmu.class)");
    g.add("vcpu", "hostmm", "x");
    assertThat(g.violations(MACHINE_LAYERS)).contains("vcpu -> hostmm (x)");
  }
}
