package io.tapstack.socket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Many small round trips: every ring wraps hundreds of times, so the padding record Agrona writes at a wrap is
 * met by every reader (a read that meets only padding returns 0 messages although one waits at the start).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PingPongTest
{
    @Test
    void tenThousandSmallRoundTripsWithoutNagle() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final SocketOptions noDelay = SocketOptions.defaults().nagle(false);
            final TcpServerSocket listener = s.b.listen(7, noDelay);
            final TcpSocket client = s.a.connect(B_IP, 7, Duration.ofSeconds(5), noDelay);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            final Thread echo = new Thread(() ->
            {
                final byte[] buffer = new byte[65536];
                try
                {
                    int n;
                    while ((n = server.read(buffer, 0, buffer.length)) > 0)
                    {
                        server.write(buffer, 0, n);
                    }
                }
                catch (final IOException ended)
                {
                }
            });
            echo.setDaemon(true);
            echo.start();
            final InputStream in = client.getInputStream();
            final OutputStream out = client.getOutputStream();
            final byte[] request = new byte[64];
            final byte[] reply = new byte[64];
            client.readTimeout(Duration.ofSeconds(5));
            for (int i = 0; i < 10_000; i++)
            {
                out.write(request);
                try
                {
                    assertEquals(64, in.readNBytes(reply, 0, 64));
                }
                catch (final IOException ex)
                {
                    throw new AssertionError("round trip " + i + ": " + ex + "\nclient " + client.describe()
                        + "\nserver " + server.describe() + "\nA " + s.a.counters().describeNonZero()
                        + "\nB " + s.b.counters().describeNonZero(), ex);
                }
            }
        }
    }

    @Test
    void tenThousandSmallRoundTripsInTheNonBlockingStyle() throws Exception
    {
        try (MemoryStacks s = new MemoryStacks())
        {
            final SocketOptions noDelay = SocketOptions.defaults().nagle(false);
            final TcpServerSocket listener = s.b.listen(7, noDelay);
            final TcpSocket client = s.a.connect(B_IP, 7, Duration.ofSeconds(5), noDelay);
            final TcpSocket server = listener.accept(Duration.ofSeconds(5));
            final byte[] request = new byte[100];
            final byte[] got = new byte[100];
            final byte[] echoed = new byte[100];
            for (int i = 0; i < 10_000; i++)
            {
                request[0] = (byte)i;
                client.writeAsync(request, 0, request.length).get(5, TimeUnit.SECONDS);
                int n = 0;
                while (n < request.length)
                {
                    n += server.readAsync(got, n, request.length - n).get(5, TimeUnit.SECONDS);
                }
                server.writeAsync(got, 0, n).get(5, TimeUnit.SECONDS);
                int m = 0;
                while (m < request.length)
                {
                    m += client.readAsync(echoed, m, request.length - m).get(5, TimeUnit.SECONDS);
                }
                assertEquals((byte)i, echoed[0], "round trip " + i);
            }
        }
    }
}
