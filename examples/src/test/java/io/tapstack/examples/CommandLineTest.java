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
        // --tap is one of --tap and --udp-tunnel, so the usage line names only what is always required
        assertTrue(options.help().contains("usage: java -jar tapstack-examples.jar ping HOST --ip A.B.C.D/N"),
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
    void ipTakesEveryHostAddressOfItsSubnet()
    {
        for (final String ok : new String[] {"10.0.0.1/24", "10.0.0.254/24", "192.168.0.255/23", "10.0.0.0/31",
            "10.0.0.1/31", "10.0.0.7/32", "169.254.3.4/16", "1.2.3.4/1"})
        {
            final Options options = StackOptions.declare(new Options("echo", "test"));
            options.parse(new String[] {"--tap", "t", "--ip", ok}, 0);
            StackOptions.check(options);
            final StackOptions.Interface ip = StackOptions.ip(options);
            assertEquals(ok, io.tapstack.wire.Ipv4Address.toString(ip.address()) + "/" + ip.prefixLength());
        }
    }

    @Test
    void withoutSeedOrMacTheStackDrawsItsOwnMac()
    {
        final Options none = StackOptions.declare(new Options("echo", "test"));
        none.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24"}, 0);
        assertEquals(-1, StackOptions.stackConfig(none).macAddress());
        assertTrue(!StackOptions.stackConfig(none).isSeedSet(), "no seed: NetStack draws the MAC from SecureRandom");
        final Options seeded = StackOptions.declare(new Options("echo", "test"));
        seeded.parse(new String[] {"--tap", "t", "--ip", "10.0.0.2/24", "--seed", "7"}, 0);
        assertTrue(StackOptions.stackConfig(seeded).isSeedSet());
        assertEquals(7, StackOptions.stackConfig(seeded).seed());
    }

    @Test
    void helpOnlyWhenAskedAndThenOnStdoutWithStatus0() throws Exception
    {
        final RejectedCommandLineTest.Run help = RejectedCommandLineTest.run("ping", "--help");
        assertEquals(0, help.status(), help::toString);
        assertTrue(help.stdout().contains("--count N"), help.stdout());
        assertEquals("", help.stderr());
        final RejectedCommandLineTest.Run main = RejectedCommandLineTest.run("--help");
        assertEquals(0, main.status(), main::toString);
        assertTrue(main.stdout().contains("commands:"), main.stdout());
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
