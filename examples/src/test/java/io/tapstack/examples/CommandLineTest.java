package io.tapstack.examples;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Option parsing, the chargen pattern and small formats: no TAP, no root. */
class CommandLineTest
{
    @Test
    void aPositionalArgumentMayStandAnywhere()
    {
        final Options options = StackOptions.declare(new Options("ping", "test").positional("HOST", "where"))
            .option("count", "N", "how many", "4");
        options.parse(new String[] {"--tap", "tap0", "10.0.0.1", "--ip", "10.0.0.2/24", "--count", "2"}, 0);
        assertEquals("10.0.0.1", options.positional(0));
        assertEquals(2, options.getInt("count"));
        assertTrue(options.help().contains("usage: java -jar tapstack-examples.jar ping HOST --tap NAME"),
            options.help());
    }

    @Test
    void aMissingOrExtraPositionalIsAUsageError()
    {
        final Options missing = StackOptions.declare(new Options("ping", "test").positional("HOST", "where"));
        final Options.UsageException ex = assertThrows(Options.UsageException.class,
            () -> missing.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24"}, 0));
        assertEquals("HOST is required", ex.getMessage());
        final Options extra = StackOptions.declare(new Options("echo", "test"));
        assertThrows(Options.UsageException.class,
            () -> extra.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24", "stray"}, 0));
    }

    @Test
    void stackOptionsAreCheckedBeforeAnythingOpens()
    {
        final Options options = StackOptions.declare(new Options("echo", "test"));
        options.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24", "--mode", "turbo"}, 0);
        assertThrows(Options.UsageException.class, () -> StackOptions.tapStack(options));
        final Options loss = StackOptions.declare(new Options("echo", "test"));
        loss.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24", "--loss", "150%"}, 0);
        assertThrows(Options.UsageException.class, () -> StackOptions.tapStack(loss));
        final Options ip = StackOptions.declare(new Options("echo", "test"));
        ip.parse(new String[] {"--tap", "t", "--ip", "10.0.0.300/24"}, 0);
        assertThrows(Options.UsageException.class, () -> StackOptions.tapStack(ip));
    }

    @Test
    void chargenLinesRotateThroughThe95PrintableCharacters()
    {
        final String text = new String(Chargen.pattern(3 * Chargen.LINE_BYTES), StandardCharsets.US_ASCII);
        final String[] lines = text.split("\r\n");
        // RFC 864's sample: the first line starts at the space, each next one a character later
        assertEquals(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg", lines[0]);
        assertEquals("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh", lines[1]);
        assertEquals(72, lines[2].length());
        // after 95 lines the pattern starts over
        final byte[] two = Chargen.pattern(2 * Chargen.CYCLE_BYTES);
        for (int i = 0; i < Chargen.CYCLE_BYTES; i++)
        {
            assertEquals(two[i], two[i + Chargen.CYCLE_BYTES]);
        }
    }

    @Test
    void pingTimesHaveThreeSignificantDigits()
    {
        assertEquals("0.213", PingCommand.formatMs(0.2134));
        assertEquals("1.23", PingCommand.formatMs(1.234));
        assertEquals("12.3", PingCommand.formatMs(12.34));
        assertEquals("123", PingCommand.formatMs(123.4));
    }

    @Test
    void ratesReadAsPlainByteCounts()
    {
        assertEquals("x sent 10485760 bytes in 1.00 s (83.9 Mbit/s)",
            Rate.describe("x sent", 10_485_760, 1_000_000_000L));
    }
}
