package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code demo} command: two stacks in one JVM, no root, no TAP; the same output every run. */
class DemoCommandTest
{
    private static String play(final Path pcap) throws Exception
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final Demo demo = newDemo();
        assertEquals(0, demo.play(new PrintStream(bytes, true, StandardCharsets.UTF_8), pcap));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Demo newDemo() throws Exception
    {
        final java.lang.reflect.Constructor<Demo> c = Demo.class.getDeclaredConstructor();
        c.setAccessible(true);
        return c.newInstance();
    }

    @Test
    void pingsFetchesAPageAndDrawsTheConversation() throws Exception
    {
        final String out = play(null);
        assertTrue(out.contains("ping 10.0.0.2: reply in "), out);
        assertTrue(out.contains("GET http://10.0.0.2/ -> HTTP/1.1 200 OK"), out);
        assertTrue(out.contains("SYN seq 0"), "the handshake in the diagram: " + out);
        assertTrue(out.contains("SYN_SENT -> ESTABLISHED"), out);
        assertTrue(out.contains("LAST_ACK -> CLOSED"), "the close in the diagram: " + out);
    }

    @Test
    void runsTheSameEveryTime() throws Exception
    {
        assertEquals(play(null), play(null), "simulated time and fixed secrets: a class sees the same diagram");
    }

    @Test
    void writesAPcapWhenAsked() throws Exception
    {
        final Path pcap = Files.createTempFile("tapstack-demo", ".pcap");
        try
        {
            play(pcap);
            assertTrue(Files.size(pcap) > 24 + 10 * 16, "header and frames");
        }
        finally
        {
            Files.deleteIfExists(pcap);
        }
    }
}
