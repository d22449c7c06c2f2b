package dev.graft.testing;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules every module's {@code PackageCyclesTest} checks on what Maven compiled from its
 * {@code src/main} (the bytecode, so a fully qualified name counts as much as an import): its classes
 * live under the package named after it, and its packages depend on each other without a cycle.
 */
public final class PackageRules {
    private static final String GRAFT = "dev.graft.";

    private PackageRules() {
    }

    /**
     * Checks this module against its rules: its classes live under {@code root} (or in {@code dictated}
     * packages, whose names another library's lookup fixes); they use no Graft module but
     * {@code modules} ("contract", "store", ...); its packages are exactly those {@code mayImport} names
     * (the root package itself is "") and each imports no other package of the module than it lists;
     * and there is no cycle.
     */
    public static void check(String root, Set<String> modules, Map<String, Set<String>> mayImport, String... dictated) {
        JavaClasses classes = moduleClasses();
        assertThat(outside(classes, root, dictated)).as("classes outside %s", root).isEmpty();
        assertThat(modulesUsed(classes, root)).as("Graft modules %s uses", root).isSubsetOf(modules);
        Map<String, Set<String>> graph = dependencies(classes, root);
        assertThat(graph.keySet()).as("the packages of %s (each needs a rule)", root)
                .containsExactlyInAnyOrderElementsOf(mayImport.keySet());
        graph.forEach((from, to) -> assertThat(to).as("what %s.%s imports", root, from).isSubsetOf(mayImport.get(from)));
        assertThat(cycles(graph)).as("package cycles").isEmpty();
    }

    /** The other Graft modules' root packages (the part after {@code dev.graft.}) the classes depend on. */
    public static Set<String> modulesUsed(JavaClasses classes, String root) {
        Set<String> modules = new TreeSet<>();
        for (JavaClass c : classes) {
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (target.startsWith(GRAFT) && !within(target, root)) {
                    modules.add(part(target, GRAFT.substring(0, GRAFT.length() - 1)));
                }
            }
        }
        return modules;
    }

    /** This module's own classes. */
    public static JavaClasses moduleClasses() {
        Path classes = Path.of("target/classes");
        if (!Files.isDirectory(classes)) {
            throw new IllegalStateException("no " + classes.toAbsolutePath() + ": run from the module, after compiling");
        }
        return new ClassFileImporter().importPath(classes);
    }

    /**
     * Classes outside {@code root} and outside {@code dictated} (packages another library's lookup
     * fixes), by name; empty when every class is where it belongs.
     */
    public static List<String> outside(JavaClasses classes, String root, String... dictated) {
        List<String> strays = new ArrayList<>();
        for (JavaClass c : classes) {
            if (!within(c.getPackageName(), root) && Set.of(dictated).stream().noneMatch(p -> within(c.getPackageName(), p))) {
                strays.add(c.getName());
            }
        }
        return strays;
    }

    /**
     * The packages under {@code root} (each first-level package with everything below it, and the root
     * package itself as "") and which others each depends on.
     */
    public static Map<String, Set<String>> dependencies(JavaClasses classes, String root) {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (JavaClass c : classes) {
            if (!within(c.getPackageName(), root)) {
                continue;
            }
            String from = part(c.getPackageName(), root);
            Set<String> to = graph.computeIfAbsent(from, p -> new TreeSet<>());
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                String target = d.getTargetClass().getPackageName();
                if (within(target, root) && !part(target, root).equals(from)) {
                    to.add(part(target, root));
                }
            }
        }
        return graph;
    }

    /** Every cycle among {@code graph}'s packages, as "a -> b -> a"; empty when there is none. */
    public static List<String> cycles(Map<String, Set<String>> graph) {
        List<String> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            walk(graph, start, new ArrayList<>(List.of(start)), cycles);
        }
        return cycles;
    }

    private static void walk(Map<String, Set<String>> graph, String at, List<String> path, List<String> cycles) {
        for (String next : graph.getOrDefault(at, Set.of())) {
            if (next.equals(path.get(0))) {
                cycles.add(String.join(" -> ", path) + " -> " + next);
            } else if (!path.contains(next)) {
                path.add(next);
                walk(graph, next, path, cycles);
                path.remove(path.size() - 1);
            }
        }
    }

    private static boolean within(String pkg, String root) {
        return pkg.equals(root) || pkg.startsWith(root + ".");
    }

    /** The first-level package under {@code root} that {@code pkg} is in; "" for the root package itself. */
    private static String part(String pkg, String root) {
        if (pkg.equals(root)) {
            return "";
        }
        String rest = pkg.substring(root.length() + 1);
        int dot = rest.indexOf('.');
        return dot < 0 ? rest : rest.substring(0, dot);
    }
}
