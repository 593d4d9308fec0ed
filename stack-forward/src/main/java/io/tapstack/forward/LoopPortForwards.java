package io.tapstack.forward;

import io.tapstack.forward.control.PortForward;
import io.tapstack.forward.control.PortForwardStatus;
import io.tapstack.forward.control.PortForwards;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The control API's view of the engine's port forwards: each call is handed to the engine's thread
 * ({@link ForwardLoop#execute}) and waited for, at most {@link #TIMEOUT_MS}, so that only that thread ever touches
 * the table and its sockets.
 */
final class LoopPortForwards implements PortForwards
{
    /** How long a control call waits for the engine's thread (a busy duty cycle is far shorter). */
    static final long TIMEOUT_MS = 5_000;

    private interface Call<T>
    {
        T run() throws IOException;
    }

    private final ForwardLoop loop;
    private final ForwardEngine engine;

    LoopPortForwards(final ForwardLoop loop, final ForwardEngine engine)
    {
        this.loop = loop;
        this.engine = engine;
    }

    private <T> T onEngineThread(final Call<T> call) throws IOException
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        loop.execute(() ->
        {
            try
            {
                result.complete(call.run());
            }
            catch (final IOException | RuntimeException ex)
            {
                result.completeExceptionally(ex);
            }
        });
        try
        {
            return result.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof IOException)
            {
                throw (IOException)ex.getCause();
            }
            throw (RuntimeException)ex.getCause();
        }
        catch (final TimeoutException ex)
        {
            throw new IllegalStateException("the engine's thread did not answer in " + TIMEOUT_MS + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    @Override
    public PortForwardStatus add(final PortForward forward) throws IOException
    {
        return onEngineThread(() -> engine.addPortForward(forward));
    }

    @Override
    public boolean remove(final PortForward.Protocol protocol, final InetAddress hostAddress, final int hostPort)
    {
        try
        {
            return onEngineThread(() -> engine.removePortForward(protocol, hostAddress, hostPort));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex); // remove throws none
        }
    }

    @Override
    public List<PortForwardStatus> list()
    {
        try
        {
            return onEngineThread(engine::portForwards);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
