package org.selectivbench.spark;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * The application's Hadoop configuration as the driver has it (the cluster's site files plus the
 * job's {@code spark.hadoop.*} settings: an S3A endpoint and credentials, {@code fs.defaultFS}),
 * shipped to executors with their tasks. A fresh {@code new Configuration()} on an executor would
 * see none of the job's settings.
 */
final class HadoopConf implements Serializable {
    private static final long serialVersionUID = 1L;

    private transient Configuration conf;

    HadoopConf(Configuration conf) {
        this.conf = new Configuration(conf);
    }

    static HadoopConf of(SparkSession spark) {
        return new HadoopConf(spark.sparkContext().hadoopConfiguration());
    }

    Configuration get() {
        return conf;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        out.defaultWriteObject();
        conf.write(out);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        conf = new Configuration(false);
        conf.readFields(in);
    }
}
