package io.dbmmigrate.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The node processes' Netty defaults: set when the command line did not, never over it. */
class NettyDefaultsTest {
  private static final String[] PROPERTIES = {
    NettyDefaults.REFLECTION_PROPERTY, NettyDefaults.LEAK_DETECTION_PROPERTY, NettyDefaults.CACHE_TRIM_PROPERTY
  };
  private final Map<String, String> saved = new HashMap<>();

  @BeforeEach
  void clear() {
    for (String p : PROPERTIES) {
      saved.put(p, System.getProperty(p));
      System.clearProperty(p);
    }
  }

  @AfterEach
  void restore() {
    for (String p : PROPERTIES) {
      if (saved.get(p) == null) System.clearProperty(p);
      else System.setProperty(p, saved.get(p));
    }
  }

  @Test
  void unsetPropertiesGetTheNodesDefaults() {
    NettyDefaults.apply();
    assertThat(System.getProperty(NettyDefaults.REFLECTION_PROPERTY)).isEqualTo("true");
    assertThat(System.getProperty(NettyDefaults.LEAK_DETECTION_PROPERTY)).isEqualTo("disabled");
    assertThat(System.getProperty(NettyDefaults.CACHE_TRIM_PROPERTY)).isEqualTo(String.valueOf(Integer.MAX_VALUE));
  }

  @Test
  void aValueFromTheCommandLineWins() {
    System.setProperty(NettyDefaults.LEAK_DETECTION_PROPERTY, "paranoid");
    System.setProperty(NettyDefaults.REFLECTION_PROPERTY, "false");
    System.setProperty(NettyDefaults.CACHE_TRIM_PROPERTY, "8192");
    NettyDefaults.apply();
    assertThat(System.getProperty(NettyDefaults.CACHE_TRIM_PROPERTY)).isEqualTo("8192");
    assertThat(System.getProperty(NettyDefaults.LEAK_DETECTION_PROPERTY)).isEqualTo("paranoid");
    assertThat(System.getProperty(NettyDefaults.REFLECTION_PROPERTY)).isEqualTo("false");
  }
}
