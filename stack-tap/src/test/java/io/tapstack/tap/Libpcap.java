package io.tapstack.tap;

import org.junit.jupiter.api.Assumptions;

/** Tests that need libpcap: skipped without it on a developer's machine, failed in CI (CI=true), which has it. */
final class Libpcap
{
    private Libpcap()
    {
    }

    static void require()
    {
        if (PcapFilterCompiler.isAvailable())
        {
            return;
        }
        final String why = "libpcap is not installed (apt-get install libpcap0.8)";
        if ("true".equals(System.getenv("CI")))
        {
            throw new AssertionError(why + ": CI must have it");
        }
        Assumptions.abort(why);
    }
}
