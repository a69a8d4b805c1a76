/**
 * Typed settings beans read once from MicroProfile Config and validated at start-up ({@link
 * org.redsession.config.RedisSettings}, {@link org.redsession.config.SessionSettings}, {@link
 * org.redsession.config.AccountSettings}). Leaf package: depends on nothing internal. Nobody else reads
 * configuration or repeats a property name.
 */
package org.redsession.config;
