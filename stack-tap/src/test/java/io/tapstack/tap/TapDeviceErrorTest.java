package io.tapstack.tap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Error messages say what failed, errno and its text, and what to do. None of these needs root. */
class TapDeviceErrorTest
{
    @Test
    void missingTunDeviceSaysToLoadTheModule(@TempDir final Path dir)
    {
        final String path = dir.resolve("no-such-tun").toString();
        final TapException ex = assertThrows(TapException.class,
            () -> TapDevice.open(new TapConfig().name("tstmissing").tunPath(path)));
        assertEquals(LibC.ENOENT, ex.errno());
        final String message = ex.getMessage();
        assertTrue(message.contains(path), message);
        assertTrue(message.contains("ENOENT errno 2"), message);
        assertTrue(message.contains("No such file or directory"), message);
        assertTrue(message.contains("load the tun module"), message);
        assertTrue(message.contains("/dev/net/tun"), message);
    }

    @Test
    void deniedOpenSaysToRunAsRootOrUseATapMadeForTheUser()
    {
        // the old advice (setcap cap_net_admin+ep on the java binary) breaks a JDK: libjli.so is no longer found
        final TapException ex = TapDevice.openFailure("/dev/net/tun", LibC.EACCES);
        assertEquals(LibC.EACCES, ex.errno());
        assertTrue(ex.getMessage().contains("Permission denied"), ex.getMessage());
        assertTrue(ex.getMessage().contains("run as root"), ex.getMessage());
        assertTrue(ex.getMessage().contains("ip tuntap add NAME mode tap user USER"), ex.getMessage());
        assertTrue(!ex.getMessage().contains("setcap"), ex.getMessage());
    }

    @Test
    void refusedTunSetIffSaysWhatToDo()
    {
        final TapConfig config = new TapConfig().name("tst0");
        final TapException eperm = TapDevice.setIffFailure(config, LibC.EPERM);
        assertTrue(eperm.getMessage().contains("'tst0'"), eperm.getMessage());
        assertTrue(eperm.getMessage().contains("Operation not permitted"), eperm.getMessage());
        assertTrue(eperm.getMessage().contains("CAP_NET_ADMIN"), eperm.getMessage());
        final TapException ebusy = TapDevice.setIffFailure(config, LibC.EBUSY);
        assertTrue(ebusy.getMessage().contains("EBUSY"), ebusy.getMessage());
        assertTrue(ebusy.getMessage().contains("already attached"), ebusy.getMessage());
    }

    @Test
    void opensNothingWhenThePathIsNotATunDevice(@TempDir final Path dir) throws Exception
    {
        final Path file = java.nio.file.Files.createFile(dir.resolve("plain-file"));
        final TapException ex = assertThrows(TapException.class,
            () -> TapDevice.open(new TapConfig().name("tstplain").tunPath(file.toString())));
        // a regular file opens, but TUNSETIFF on it fails (ENOTTY): the message names the ioctl and errno
        assertTrue(ex.getMessage().contains("TUNSETIFF"), ex.getMessage());
        assertTrue(ex.errno() != 0, ex.getMessage());
    }
}
