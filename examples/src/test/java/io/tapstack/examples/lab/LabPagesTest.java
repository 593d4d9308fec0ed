package io.tapstack.examples.lab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each lab keeps the promises of its page in docs/labs/: the page's blocks marked {@code <!-- lab: files -->} name
 * the files the lab writes, {@code <!-- lab: trace FILE -->} holds lines the trace FILE must contain (the excerpt a
 * student reads on the page), {@code <!-- lab: csv FILE -->} the header of a CSV FILE. The lab must also say it saw
 * what it set out to show, and its chart must have points. Every lab runs in simulated time: seconds in all.
 */
class LabPagesTest
{
    private static final Path PAGES = Path.of("..", "docs", "labs");

    static Stream<Lab> labs()
    {
        return LabCommand.LABS.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("labs")
    void labKeepsThePromisesOfItsPage(final Lab lab, @TempDir final Path dir) throws IOException
    {
        System.setProperty("java.awt.headless", "true");
        final Path page = PAGES.resolve(lab.name() + ".md");
        assertTrue(Files.exists(page), "a page for " + lab.name() + ": " + page);
        final List<Promise> promises = promises(page);
        assertTrue(promises.stream().anyMatch(p -> p.kind.equals("files")), "the page lists the files");
        assertTrue(promises.stream().anyMatch(p -> p.kind.equals("trace")), "the page shows a trace excerpt");

        final ByteArrayOutputStream printed = new ByteArrayOutputStream();
        final Lab.Result result = lab.run(dir, new PrintStream(printed, true, StandardCharsets.UTF_8));
        final String output = printed.toString(StandardCharsets.UTF_8);
        assertTrue(result.ok(), lab.name() + " did not show what it should:\n" + output);
        assertTrue(result.chartPoints() >= 3, "the chart has points: " + result.chartPoints());

        for (final Promise promise : promises)
        {
            switch (promise.kind)
            {
                case "files" -> promise.lines.forEach(name -> checkFile(dir.resolve(name)));
                case "trace" ->
                {
                    final Set<String> trace = new HashSet<>(Files.readAllLines(dir.resolve(promise.file)));
                    for (final String line : promise.lines)
                    {
                        assertTrue(trace.contains(line), () -> page + " promises this line in " + promise.file
                            + " (update the page if the stack changed on purpose):\n" + line);
                    }
                }
                case "csv" ->
                {
                    final String header = Files.readAllLines(dir.resolve(promise.file)).get(0);
                    assertEquals(promise.lines.get(0), header, page + ": the columns of " + promise.file);
                }
                default -> throw new AssertionError("unknown promise " + promise.kind + " in " + page);
            }
        }
    }

    @Test
    void everyPageIsALab() throws IOException
    {
        try (Stream<Path> files = Files.list(PAGES))
        {
            final Set<String> pages = new HashSet<>(files.map(p -> p.getFileName().toString())
                .filter(n -> n.endsWith(".md") && !n.equals("README.md")).map(n -> n.substring(0, n.length() - 3))
                .toList());
            assertEquals(new HashSet<>(LabCommand.LABS.stream().map(Lab::name).toList()), pages);
        }
    }

    @Test
    void listNamesEveryLabAndAMistakeIsAUsageError() throws IOException
    {
        assertEquals(0, LabCommand.run(new String[] {"list"}, new PrintStream(new ByteArrayOutputStream())));
        assertEquals(2, LabCommand.run(new String[] {"no-such-lab"}, new PrintStream(new ByteArrayOutputStream())));
        assertEquals(2, LabCommand.run(new String[] {}, new PrintStream(new ByteArrayOutputStream())));
    }

    private static void checkFile(final Path file)
    {
        try
        {
            assertTrue(Files.size(file) > 0, "not empty: " + file);
            final String name = file.getFileName().toString();
            if (name.endsWith(".pcap"))
            {
                final byte[] magic = Files.readAllBytes(file);
                assertTrue(magic.length > 24 + 16, "a pcap with frames: " + file);
                // the pcap magic, little-endian: a1b2c3d4 (microseconds) or a1b23c4d (nanoseconds)
                final int found = java.nio.ByteBuffer.wrap(magic, 0, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
                assertTrue(found == 0xa1b2c3d4 || found == 0xa1b23c4d, "a pcap file: " + file);
            }
            else if (name.endsWith(".png"))
            {
                final BufferedImage image = ImageIO.read(file.toFile());
                assertEquals(Charts.WIDTH, image.getWidth());
                assertEquals(Charts.HEIGHT, image.getHeight());
            }
            else if (name.endsWith(".svg"))
            {
                final String svg = Files.readString(file);
                assertTrue(svg.contains("<svg") && svg.contains("<path"), "an SVG drawing: " + file);
            }
        }
        catch (final IOException ex)
        {
            throw new AssertionError("promised file " + file + ": " + ex, ex);
        }
    }

    private record Promise(String kind, String file, List<String> lines)
    {
    }

    /** The blocks after {@code <!-- lab: KIND [FILE] -->} lines. */
    private static List<Promise> promises(final Path page) throws IOException
    {
        final List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
        final List<Promise> promises = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++)
        {
            final String line = lines.get(i).trim();
            if (line.startsWith("<!-- lab: ") && line.endsWith("-->") && i + 1 < lines.size()
                && lines.get(i + 1).startsWith("```"))
            {
                final String[] words = line.substring("<!-- lab: ".length(), line.length() - 3).trim().split(" ");
                final List<String> block = new ArrayList<>();
                int j = i + 2;
                while (j < lines.size() && !lines.get(j).startsWith("```"))
                {
                    if (!lines.get(j).isBlank())
                    {
                        block.add(lines.get(j));
                    }
                    j++;
                }
                promises.add(new Promise(words[0], words.length > 1 ? words[1] : null, block));
                i = j;
            }
        }
        return promises;
    }
}
