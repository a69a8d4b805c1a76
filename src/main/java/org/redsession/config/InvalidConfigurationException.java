package org.redsession.config;

/**
 * Thrown at start-up when a configuration property has a value the application cannot run with; the message
 * names the property, its environment variable and the accepted values, and stops the deployment.
 */
public class InvalidConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidConfigurationException(String property, String problem) {
        super("Invalid configuration: property '" + property + "' (environment variable " + Settings.envName(property)
                + "): " + problem);
    }
}
