import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.ArrayFilters;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryParameters;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.NoopOplog;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

/**
 * Starts mongo-java-server, a MongoDB wire-protocol server on the JVM, for tests and the
 * embedded development database on machines where no mongod binary can be had.
 *
 * Usage: java -cp 'lib/*' Launcher.java PORT [H2_FILE]
 *   PORT     0 picks a free port; the chosen one is printed as "listening on HOST:PORT".
 *   H2_FILE  keeps data in that file across restarts; without it, data lives in memory.
 * Or:    java -cp 'lib/*' Launcher.java --check-isolation
 *   prints whether a query's result can change after the query returned, for the stock
 *   memory backend and for the isolated backends this launcher serves (see docs/storage.md).
 *
 * It exits when its standard input closes, so a parent that dies never leaves it running.
 *
 * Why the backends are wrapped: stock mongo-java-server 1.47.0 answers a find with the very
 * Document objects it stores, and encodes them to BSON on a network thread after the
 * collection's lock is released, while an update mutates a stored Document in place under that
 * lock. A reader racing a writer could therefore receive a torn document: some fields from
 * before the update and some from after (for example the old `properties` with the new
 * `revision`). MongoDB never does that: a single-document read is atomic. The Isolated*
 * classes below hand out deep copies made while the lock is held, which restores that
 * guarantee.
 */
public class Launcher {
  /** The default reports wire version 8, which MongoDB Node.js driver 7 refuses (it needs 9+). */
  enum Mongo6 implements MongoVersion {
    INSTANCE;
    public List<Integer> getVersionArray() { return List.of(6, 0, 0); }
    public int getWireVersion() { return 17; }
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--check-isolation")) {
      System.out.println("stock memory backend: " + checkIsolation(new MemoryBackend()));
      System.out.println("stock h2 backend: " + checkIsolation(new H2Backend(MVStore.open(null))));
      System.out.println("isolated memory backend: " + checkIsolation(new IsolatedMemoryBackend()));
      System.out.println("isolated h2 backend: " + checkIsolation(new IsolatedH2Backend(MVStore.open(null))));
      return;
    }
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    String h2File = args.length > 1 ? args[1] : null;
    AbstractMongoBackend backend;
    MongoServer server;
    InetSocketAddress address;
    try {
      backend = h2File == null ? new IsolatedMemoryBackend() : new IsolatedH2Backend(MVStore.open(h2File));
      backend.version(Mongo6.INSTANCE);
      server = new MongoServer(backend);
      server.bind(new InetSocketAddress("127.0.0.1", port));
      address = server.getLocalAddress();
    } catch (Throwable error) {
      // Exit, don't just let main end: Netty's event-loop threads are not daemons, so a failed
      // bind (a port taken meanwhile) would otherwise leave a process that never answers.
      System.err.println("could not start on 127.0.0.1:" + port + ": " + error);
      System.exit(1);
      return;
    }
    final AbstractMongoBackend started = backend;
    final MongoServer listening = server;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      listening.shutdownNow();
      started.close();
    }));
    System.out.println("listening on 127.0.0.1:" + address.getPort());
    System.out.flush();
    // Block until the parent closes our stdin (or dies), then shut down cleanly.
    while (System.in.read() != -1) { }
    System.exit(0);
  }

  /**
   * The deterministic reproduction of the lost update: run a query, then an update of the
   * matched document, then look at the query's result. On a faithful server the result is
   * what the document was when the query ran; if it changed, a reader whose result is still
   * being encoded when a writer runs receives a mix of both. The other answers check that
   * writes still land: a later read sees the update, findAndModify and delete work.
   */
  static String checkIsolation(AbstractMongoBackend backend) {
    MongoDatabase database = backend.resolveDatabase("isolation_check");
    MongoCollection<?> collection = database.createCollectionOrThrowIfExists("tokens");
    collection.insertDocuments(List.of(new Document("_id", 1).append("properties", new Document("put", 0)).append("revision", 1)));
    Document seen = collection.queryAll().iterator().next();
    Document update = new Document("$set", new Document("properties", new Document("put", 623))).append("$inc", new Document("revision", 1));
    collection.updateDocuments(new Document("_id", 1), update, ArrayFilters.empty(), false, false, NoopOplog.get());
    boolean changed = !seen.get("revision").equals(1) || !((Document) seen.get("properties")).get("put").equals(0);
    boolean updateSeen = collection.queryAll().iterator().next().get("revision").equals(2);
    Document modified = collection.findAndModify(new Document("query", new Document("_id", 1))
        .append("update", new Document("$inc", new Document("revision", 1))).append("new", true));
    boolean findAndModifyWorks = ((Document) modified.get("value")).get("revision").equals(3)
        && collection.queryAll().iterator().next().get("revision").equals(3);
    boolean deleteWorks = collection.deleteDocuments(new Document("_id", 1), 1, NoopOplog.get()) == 1 && !collection.queryAll().iterator().hasNext();
    backend.close();
    return "query result changed by a later update: " + changed + "; later read sees the update: " + updateSeen
        + "; findAndModify works: " + findAndModifyWorks + "; delete works: " + deleteWorks;
  }

  /**
   * What both isolated collections do. A client's read enters through handleQuery; so do
   * findAndModify and deleteDocuments, which then change or remove the very objects returned,
   * so those must keep receiving the stored documents. All of it runs under the collection's
   * monitor (every public method is synchronized), which also guards these two flags.
   */
  static final class ReadSnapshots {
    private int mutations;
    private boolean reading;

    QueryResult read(java.util.function.Supplier<QueryResult> query) {
      reading = mutations == 0;
      try {
        return query.get();
      } finally {
        reading = false;
      }
    }

    <T> T mutate(java.util.function.Supplier<T> mutation) {
      mutations++;
      try {
        return mutation.get();
      } finally {
        mutations--;
      }
    }

    List<Document> matched(List<Document> documents) {
      return reading ? documents.stream().map(Document::cloneDeeply).collect(Collectors.toList()) : documents;
    }
  }

  static class IsolatedMemoryBackend extends MemoryBackend {
    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
      return new MemoryDatabase(databaseName, getCursorRegistry()) {
        @Override
        protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
          return new IsolatedMemoryCollection(this, collectionName, options, cursorRegistry);
        }
      };
    }
  }

  static class IsolatedMemoryCollection extends MemoryCollection {
    private final ReadSnapshots snapshots = new ReadSnapshots();

    IsolatedMemoryCollection(MongoDatabase database, String name, CollectionOptions options, CursorRegistry cursors) {
      super(database, name, options, cursors);
    }

    @Override
    public synchronized QueryResult handleQuery(QueryParameters parameters) {
      return snapshots.read(() -> super.handleQuery(parameters));
    }

    @Override
    protected QueryResult createQueryResult(List<Document> matched, int batchSize) {
      return super.createQueryResult(snapshots.matched(matched), batchSize);
    }

    // Its result may be the stored document itself (returnDocument: 'after').
    @Override
    public synchronized Document findAndModify(Document query) {
      return snapshots.mutate(() -> super.findAndModify(query).cloneDeeply());
    }

    @Override
    public synchronized int deleteDocuments(Document selector, int limit, Oplog oplog) {
      return snapshots.mutate(() -> super.deleteDocuments(selector, limit, oplog));
    }
  }

  static class IsolatedH2Backend extends H2Backend {
    IsolatedH2Backend(MVStore store) {
      super(store);
    }

    @Override
    protected MongoDatabase openOrCreateDatabase(String databaseName) {
      MVStore store = getMvStore();
      return new H2Database(databaseName, store, getCursorRegistry()) {
        // The same map names as H2Database, so files written by the stock backend still open.
        @Override
        protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
          String fullName = getFullCollectionNamespace(collectionName);
          MVMap<Object, Document> dataMap = store.openMap("databases." + fullName);
          MVMap<String, Object> metaMap = store.openMap("meta." + fullName);
          return new IsolatedH2Collection(this, collectionName, options, dataMap, metaMap, cursorRegistry);
        }
      };
    }
  }

  static class IsolatedH2Collection extends H2Collection {
    private final ReadSnapshots snapshots = new ReadSnapshots();

    IsolatedH2Collection(MongoDatabase database, String name, CollectionOptions options, MVMap<Object, Document> dataMap,
                         MVMap<String, Object> metaMap, CursorRegistry cursors) {
      super(database, name, options, dataMap, metaMap, cursors);
    }

    @Override
    public synchronized QueryResult handleQuery(QueryParameters parameters) {
      return snapshots.read(() -> super.handleQuery(parameters));
    }

    @Override
    protected QueryResult createQueryResult(List<Document> matched, int batchSize) {
      return super.createQueryResult(snapshots.matched(matched), batchSize);
    }

    @Override
    public synchronized Document findAndModify(Document query) {
      return snapshots.mutate(() -> super.findAndModify(query).cloneDeeply());
    }

    @Override
    public synchronized int deleteDocuments(Document selector, int limit, Oplog oplog) {
      return snapshots.mutate(() -> super.deleteDocuments(selector, limit, oplog));
    }
  }
}
