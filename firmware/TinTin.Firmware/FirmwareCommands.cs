using System;

namespace TinTin.Firmware
{
    /// <summary>
    /// The serial commands of <see cref="FirmwareApp"/> (docs/PROTOCOL.md): parses a line and runs
    /// its handler, answering with ok/help lines, or err for a bad line or a handler that threw
    /// (never letting it stop the loop). The loop owns the state; handlers act through it.
    /// </summary>
    public sealed class FirmwareCommands
    {
        private readonly FirmwareApp app;
        private readonly ProtocolWriter writer;
        private readonly FirmwareConfig config;
        private readonly CommandParser parser = new CommandParser();
        private readonly Command command = new Command();

        // Made once: a burst of help commands allocates nothing.
        private readonly string labelHelp;

        public FirmwareCommands(FirmwareApp app, ProtocolWriter writer, FirmwareConfig config)
        {
            this.app = app;
            this.writer = writer;
            this.config = config;
            labelHelp = "label the recent samples (default the last " + config.DefaultLabelSeconds + " s) and update";
        }

        /// <summary>Handles one command line.</summary>
        public void Handle(string line)
        {
            try
            {
                parser.Parse(line, command);
                switch (command.Code)
                {
                    case CommandCode.None: return;
                    case CommandCode.Error: app.Error(command.ErrorCode, command.ErrorMessage); return;
                    case CommandCode.Label: Label(); return;
                    case CommandCode.Save: Save(); return;
                    case CommandCode.Reset: Reset(command.Arg1 == 1); return;
                    case CommandCode.Restore: Restore(); return;
                    case CommandCode.Budget: Budget(); return;
                    case CommandCode.Status: app.Stat(); return;
                    case CommandCode.Help: Help(); return;
                    case CommandCode.Fleet: Fleet((int)command.Arg1); return;
                    case CommandCode.Pred: Pred(); return;
                }
            }
            catch (Exception e)
            {
                app.CommandFailures++;
                app.LastFailure = e.Message;
                app.Error("failed", e.Message);
            }
        }

        private void Label()
        {
            int classCount = app.ClassCount;
            if (command.Arg1 < 0 || command.Arg1 >= classCount) { app.Error(Protocol.BadArgument, "class must be 0..", classCount - 1); return; }
            long seconds = command.HasArg2 ? command.Arg2 : config.DefaultLabelSeconds;
            if (seconds < 1 || seconds > 7 * 24 * 3600) { app.Error(Protocol.BadArgument, "seconds must be 1..604800"); return; }
            app.Counters.LabelCommands++;
            int n = app.Label((int)command.Arg1, seconds);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "label"); writer.Int("cls", command.Arg1); writer.Int("n", n); writer.End();
            app.TryUpdate(app.NowMs);
        }

        private void Save()
        {
            writer.Begin(Protocol.Ok); writer.Token("cmd", "save"); writer.End();
            app.Checkpoint();
        }

        private void Reset(bool confirmed)
        {
            if (!confirmed)
            {
                // Forgetting must be deliberate: nothing changes until `reset confirm`.
                writer.Begin(Protocol.Ok); writer.Token("cmd", "reset"); writer.Int("confirmed", 0);
                writer.Text("msg", "nothing forgotten: send reset confirm"); writer.End();
                return;
            }
            app.ForgetLearning();
            writer.Begin(Protocol.Ok); writer.Token("cmd", "reset"); writer.Int("confirmed", 1); writer.End();
            app.Hello();
            // Persist the reset (or the next boot would bring the forgotten model back) without
            // touching the learned checkpoint: `restore` can bring it back until new learning replaces it.
            app.Checkpoint(true);
        }

        private void Restore()
        {
            if (!app.RestoreKept()) return;
            writer.Begin(Protocol.Ok); writer.Token("cmd", "restore"); writer.End();
            app.Hello();
            app.Checkpoint(); // written to the other slot: a reboot comes back with the restored model
        }

        private void Budget()
        {
            if (command.Arg1 < 0 || command.Arg1 > int.MaxValue) { app.Error(Protocol.BadArgument, "bytes must be 0..2147483647"); return; }
            long macs = command.HasArg2 ? command.Arg2 : app.Learner.BudgetMacs;
            if (macs < 0) { app.Error(Protocol.BadArgument, "macs must not be negative"); return; }
            app.SetBudget((int)command.Arg1, macs);
            writer.Begin(Protocol.Ok); writer.Token("cmd", "budget"); writer.Int("bytes", command.Arg1); writer.Int("macs", macs); writer.End();
            app.Selection("budget");
        }

        private void Fleet(int action)
        {
            FleetLink fleet = app.Fleet;
            if (fleet == null) { app.Error(Protocol.FleetError, "this board has no fleet transport"); return; }
            long now = app.NowMs;
            if (action == 1) fleet.Join(now);
            else if (action == 2) fleet.Leave(now);
            else fleet.Status(now);
        }

        private void Pred()
        {
            app.PredLines = command.Arg1 != 0;
            writer.Begin(Protocol.Ok); writer.Token("cmd", "pred"); writer.Int("on", app.PredLines ? 1 : 0); writer.End();
        }

        private void Help()
        {
            HelpLine("fleet", "[join|leave|status]", "join or leave the fleet (MQTT), or print a fleet line");
            HelpLine("label", "class_[seconds]", labelHelp);
            HelpLine("save", "-", "write a checkpoint now");
            HelpLine("reset", "confirm", "forget what was learned (only with confirm): back to the embedded default model");
            HelpLine("restore", "-", "bring back the model from before the last reset (until new learning replaces it)");
            HelpLine("budget", "bytes_[macs]", "set the update budget and re-select channels");
            HelpLine("status", "-", "print stat lines now");
            HelpLine("pred", "on|off", "switch the per-sample pred lines");
            HelpLine("help", "-", "this list");
        }

        private void HelpLine(string cmd, string args, string msg)
        {
            writer.Begin(Protocol.Help); writer.Token("cmd", cmd); writer.Token("args", args); writer.Text("msg", msg); writer.End();
        }
    }
}
