import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Starts mongo-java-server, a MongoDB wire-protocol server on the JVM, for tests and the
 * embedded development database on machines where no mongod binary can be had.
 *
 * Usage: java -cp 'lib/*' Launcher.java PORT [H2_FILE]
 *   PORT     0 picks a free port; the chosen one is printed as "listening on HOST:PORT".
 *   H2_FILE  keeps data in that file across restarts; without it, data lives in memory.
 *
 * It exits when its standard input closes, so a parent that dies never leaves it running.
 */
public class Launcher {
  /** The default reports wire version 8, which MongoDB Node.js driver 7 refuses (it needs 9+). */
  enum Mongo6 implements MongoVersion {
    INSTANCE;
    public List<Integer> getVersionArray() { return List.of(6, 0, 0); }
    public int getWireVersion() { return 17; }
  }

  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    String h2File = args.length > 1 ? args[1] : null;
    AbstractMongoBackend backend = h2File == null ? new MemoryBackend() : new H2Backend(h2File);
    backend.version(Mongo6.INSTANCE);
    MongoServer server = new MongoServer(backend);
    server.bind(new InetSocketAddress("127.0.0.1", port));
    InetSocketAddress address = server.getLocalAddress();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      backend.close();
    }));
    System.out.println("listening on 127.0.0.1:" + address.getPort());
    System.out.flush();
    // Block until the parent closes our stdin (or dies), then shut down cleanly.
    while (System.in.read() != -1) { }
    System.exit(0);
  }
}
