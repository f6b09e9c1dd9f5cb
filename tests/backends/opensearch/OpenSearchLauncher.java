// Starts one OpenSearch node inside this JVM with HTTP on a loopback port, for tests: the server
// and its Netty4 HTTP transport come from Maven Central jars (tests/backends/opensearch/pom.xml),
// since the distribution tarball is not a Maven artifact. Usage:
//   java -cp '<jars>:<this class>' OpenSearchLauncher <home folder> <http port> <transport port>
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

public final class OpenSearchLauncher {
  /** A node whose plugins come from the classpath instead of a plugins folder. */
  static final class EmbeddedNode extends Node {
    EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
      super(environment, plugins, true);
    }

    // The stock listener registers node and cluster ids with the logging of a full distribution,
    // which an embedded node does not set up; the test framework's MockNode skips it too.
    @Override
    protected void configureNodeAndClusterIdStateListener(ClusterService clusterService) {}
  }

  public static void main(String[] args) throws Exception {
    final Path home = Path.of(args[0]).toAbsolutePath();
    Files.createDirectories(home.resolve("config"));
    Files.createDirectories(home.resolve("plugins"));
    final Settings settings = Settings.builder()
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("cluster.name", "logpipe-tests")
        .put("node.name", "node-1")
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", args[1])
        .put("transport.port", args[2])
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .build();
    final Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Collections.emptyMap(), home.resolve("config"), () -> "node-1");
    final Node node = new EmbeddedNode(environment,
        List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, MapperExtrasPlugin.class,
            ReindexPlugin.class));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception ignored) {
        // Exiting anyway.
      }
    }));
    node.start();
    System.out.println("OpenSearch node started");
    // The node's threads are daemons: main must not return.
    Thread.currentThread().join();
  }
}
