using System;

// A host stand-in for the few nanoFramework.TestFramework members the on-device tests use, so the
// same test sources run under xunit. The real API (the runtime's ref/nanoFramework.TestFramework.dll)
// is enforced separately: tests/NFUnitTest is nano-checked against its reference assembly.
namespace nanoFramework.TestFramework
{
    [AttributeUsage(AttributeTargets.Class)]
    public class TestClassAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Method)]
    public class TestMethodAttribute : Attribute { }

    public sealed class HostAssertFailedException : Exception
    {
        public HostAssertFailedException(string message) : base(message) { }
    }

    public sealed class Assert
    {
        public static void AreEqual(int expected, int actual, string message = "")
        {
            if (expected != actual) throw new HostAssertFailedException(message + ": expected " + expected + ", actual " + actual);
        }

        public static void AreEqual(string expected, string actual, string message = "")
        {
            if (expected != actual) throw new HostAssertFailedException(message + ": expected '" + expected + "', actual '" + actual + "'");
        }

        public static void IsTrue(bool condition, string message = "")
        {
            if (!condition) throw new HostAssertFailedException(message);
        }
    }
}
