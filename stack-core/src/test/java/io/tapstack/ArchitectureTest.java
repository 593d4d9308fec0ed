package io.tapstack;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The design's rules that a reviewer would otherwise have to remember, checked over the main source files of
 * the build (read as text: no bytecode library needed):
 * <ol>
 *   <li>time flows one way: stack-core reads no clock, sleeps on none and makes no unseeded randomness; time
 *   arrives as {@code nowNs};</li>
 *   <li>stack-core's packages depend on each other without a cycle: layers call down and dispatch up through
 *   interfaces registered with them (style rule 5);</li>
 *   <li>no main-code class grows past {@value #MAX_LINES} lines.</li>
 * </ol>
 * Each allow-list below is either a permanent exemption with its reason or a temporary one named so; an entry
 * that no longer breaks its rule fails the test too, so the list only shrinks.
 */
class ArchitectureTest
{
    /** Time, sleeping and unseeded randomness: none of it in stack-core's code (comments may mention it). */
    private static final List<String> FORBIDDEN_IN_CORE = List.of(
        "NanoClock", "System.nanoTime", "System.currentTimeMillis", "Thread.sleep", "new Random(");

    /**
     * Exempt from the clock rule, paths under stack-core's {@code src/main/java/io/tapstack/}: {@code ManualClock}
     * is the tests' clock itself; {@code MemoryLink} models a wire between two stacks (latency, delivery times),
     * which sits outside both and reads the clock the simulation advances.
     */
    private static final Set<String> CLOCK_EXEMPT = Set.of(
        "time/ManualClock.java",
        "dev/MemoryLink.java");

    /** TEMPORARY: files that still hold a clock while they are being rewritten; none left. */
    private static final Set<String> TEMPORARY_CLOCK_HOLDERS = Set.of();

    /**
     * stack-core's packages whose import graph must be acyclic. The root package holds {@code StackConfig} and
     * {@code StackCounters}, which every layer uses, beside {@code NetStack}, which uses every layer: no layer may
     * name {@code NetStack} ({@link #onlyTheRootKnowsNetStack}), so the files form no cycle through it.
     */
    private static final List<String> CORE_PACKAGES = List.of("wire", "dev", "link", "ip", "udp", "tcp", "time",
        "trace");

    private static final int MAX_LINES = 700;

    /** TEMPORARY: classes over {@value #MAX_LINES} lines that are being split; paths from the project root. */
    private static final Set<String> TEMPORARY_LONG_FILES = Set.of();

    private static final Path ROOT = projectRoot();
    private static final Path CORE_SOURCES = ROOT.resolve("stack-core/src/main/java/io/tapstack");

    @Test
    void stackCoreReadsNoClock()
    {
        final List<String> offenders = new ArrayList<>();
        final Set<String> allowedButClean = new TreeSet<>(TEMPORARY_CLOCK_HOLDERS);
        for (final Path file : javaFiles(CORE_SOURCES))
        {
            final String name = relative(CORE_SOURCES, file);
            if (CLOCK_EXEMPT.contains(name))
            {
                continue;
            }
            final String code = stripComments(read(file));
            final List<String> found = FORBIDDEN_IN_CORE.stream().filter(code::contains).toList();
            if (found.isEmpty())
            {
                continue;
            }
            allowedButClean.remove(name);
            if (!TEMPORARY_CLOCK_HOLDERS.contains(name))
            {
                offenders.add(name + " mentions " + found);
            }
        }
        assertTrue(offenders.isEmpty(), () -> "stack-core must not read a clock, sleep or use an unseeded Random "
            + "(time arrives as nowNs): " + offenders);
        assertTrue(allowedButClean.isEmpty(), () -> "no longer hold a clock: remove from TEMPORARY_CLOCK_HOLDERS: "
            + allowedButClean);
    }

    @Test
    void stackCorePackagesHaveNoCycle()
    {
        final Pattern reference = Pattern.compile(
            "\\bio\\.tapstack\\.(" + String.join("|", CORE_PACKAGES) + ")\\b");
        // package -> package it uses -> the files that use it
        final Map<String, Map<String, Set<String>>> edges = new TreeMap<>();
        for (final String from : CORE_PACKAGES)
        {
            edges.put(from, new TreeMap<>());
            for (final Path file : javaFiles(CORE_SOURCES.resolve(from)))
            {
                final Matcher m = reference.matcher(stripComments(read(file)));
                while (m.find())
                {
                    final String to = m.group(1);
                    if (!to.equals(from))
                    {
                        edges.get(from).computeIfAbsent(to, k -> new TreeSet<>()).add(relative(CORE_SOURCES, file));
                    }
                }
            }
        }
        final List<String> cycle = findCycle(edges);
        if (!cycle.isEmpty())
        {
            final StringBuilder why = new StringBuilder("stack-core packages depend on each other in a cycle: ")
                .append(String.join(" -> ", cycle)).append(" (layers call down and dispatch up through "
                    + "registered interfaces). Edges:");
            for (int i = 0; i + 1 < cycle.size(); i++)
            {
                why.append("\n  ").append(cycle.get(i)).append(" -> ").append(cycle.get(i + 1)).append(" in ")
                    .append(edges.get(cycle.get(i)).get(cycle.get(i + 1)));
            }
            fail(why.toString());
        }
    }

    @Test
    void onlyTheRootKnowsNetStack()
    {
        final Pattern netStack = Pattern.compile("\\bNetStack\\b");
        final List<String> offenders = new ArrayList<>();
        for (final String layer : CORE_PACKAGES)
        {
            for (final Path file : javaFiles(CORE_SOURCES.resolve(layer)))
            {
                if (netStack.matcher(stripComments(read(file))).find())
                {
                    offenders.add(relative(CORE_SOURCES, file));
                }
            }
        }
        assertTrue(offenders.isEmpty(), () -> "NetStack is the composition root: the layers below it must not "
            + "name it (they get what they need through their constructors): " + offenders);
    }

    @Test
    void noMainClassIsOverSevenHundredLines()
    {
        final List<String> offenders = new ArrayList<>();
        final Set<String> allowedButShort = new TreeSet<>(TEMPORARY_LONG_FILES);
        try (Stream<Path> modules = Files.list(ROOT))
        {
            for (final Path module : modules.filter(m -> Files.isDirectory(m.resolve("src/main/java"))).sorted()
                .toList())
            {
                for (final Path file : javaFiles(module.resolve("src/main/java")))
                {
                    final String name = relative(ROOT, file);
                    final long lines = read(file).lines().count();
                    if (lines <= MAX_LINES)
                    {
                        continue;
                    }
                    allowedButShort.remove(name);
                    if (!TEMPORARY_LONG_FILES.contains(name))
                    {
                        offenders.add(name + " (" + lines + " lines)");
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        assertTrue(offenders.isEmpty(), () -> "over " + MAX_LINES + " lines: split by job: " + offenders);
        assertTrue(allowedButShort.isEmpty(), () -> "now at most " + MAX_LINES
            + " lines: remove from TEMPORARY_LONG_FILES: " + allowedButShort);
    }

    /** A cycle as a path whose first and last package are the same, or empty when the graph is acyclic. */
    static List<String> findCycle(final Map<String, Map<String, Set<String>>> edges)
    {
        final Map<String, Integer> state = new TreeMap<>(); // absent: unvisited, 1: on the path, 2: done
        final List<String> path = new ArrayList<>();
        for (final String start : edges.keySet())
        {
            final List<String> cycle = visit(start, edges, state, path);
            if (!cycle.isEmpty())
            {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> visit(final String node, final Map<String, Map<String, Set<String>>> edges,
        final Map<String, Integer> state, final List<String> path)
    {
        final Integer s = state.get(node);
        if (s != null && s == 2)
        {
            return List.of();
        }
        if (s != null)
        {
            final List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            cycle.add(node);
            return cycle;
        }
        state.put(node, 1);
        path.add(node);
        for (final String next : edges.getOrDefault(node, Map.of()).keySet())
        {
            final List<String> cycle = visit(next, edges, state, path);
            if (!cycle.isEmpty())
            {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return List.of();
    }

    /** The source without its comments, string and char literals kept (so "//" in a string is not a comment). */
    static String stripComments(final String source)
    {
        final StringBuilder out = new StringBuilder(source.length());
        int i = 0;
        final int n = source.length();
        while (i < n)
        {
            final char c = source.charAt(i);
            if (c == '/' && i + 1 < n && source.charAt(i + 1) == '/')
            {
                while (i < n && source.charAt(i) != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && i + 1 < n && source.charAt(i + 1) == '*')
            {
                final int end = source.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 2;
                out.append(' ');
            }
            else if (c == '"' || c == '\'')
            {
                final int start = i++;
                while (i < n && source.charAt(i) != c)
                {
                    i += source.charAt(i) == '\\' ? 2 : 1;
                }
                i = Math.min(n, i + 1);
                out.append(source, start, i);
            }
            else
            {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static List<Path> javaFiles(final Path dir)
    {
        if (!Files.isDirectory(dir))
        {
            throw new IllegalStateException("no source directory " + dir + " (project root found: " + ROOT + ")");
        }
        try (Stream<Path> files = Files.walk(dir))
        {
            return files.filter(f -> f.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String read(final Path file)
    {
        try
        {
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static String relative(final Path base, final Path file)
    {
        return base.relativize(file).toString().replace('\\', '/');
    }

    /**
     * The multi-module root, found from wherever the test runs (Maven runs it in stack-core, an IDE may run it in
     * the root): the nearest directory upwards that holds {@code stack-core/src/main/java}.
     */
    private static Path projectRoot()
    {
        for (Path dir = Paths.get("").toAbsolutePath(); dir != null; dir = dir.getParent())
        {
            if (Files.isDirectory(dir.resolve("stack-core/src/main/java/io/tapstack")))
            {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the project root (a directory holding stack-core/) above "
            + Paths.get("").toAbsolutePath());
    }
}
